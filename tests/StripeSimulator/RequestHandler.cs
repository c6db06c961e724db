using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using SourceStripe.Simulator.Generation;
using SourceStripe.Streams;

namespace SourceStripe.Simulator;

/// <summary>
/// The single endpoint: authenticates like Stripe, checks the version and account headers, routes, enforces a
/// restricted key's permissions, answers, and records every request with the status it got.
/// </summary>
internal sealed partial class RequestHandler(SimulatorAccount account, SimulatorOptions options, RequestLog log)
{
    private readonly Router _router = new();
    private readonly ListHandler _lists = new(account);
    private long _requestCount;

    /// <summary>Set by <see cref="StripeSimulator.RevokeKey"/>: every request answers 401 from then on.</summary>
    public bool Revoked { get; set; }

    public FaultInjector Faults { get; } = new();

    /// <summary>The latency added to every answer; set by <see cref="StripeSimulator.Latency"/>.</summary>
    public LatencyModel Latency { get; set; } = new(options.Latency, options.LatencySigma, options.Seed);

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var sequence = Interlocked.Increment(ref _requestCount);
        var requestId = "req_" + sequence.ToString("x14", System.Globalization.CultureInfo.InvariantCulture);
        var fault = Faults.Next(request.Path.Value ?? "/");
        if (fault?.Kind == FaultKind.Slow)
        {
            await Task.Delay(fault.Delay, context.RequestAborted);
        }
        int status;
        byte[] body;
        if (fault?.Kind is FaultKind.JsonError or FaultKind.HtmlError)
        {
            status = fault.Status;
            body = fault.Body(requestId);
        }
        else if (fault?.Kind == FaultKind.DropConnection)
        {
            Record(request, 0);
            context.Abort();
            return;
        }
        else
        {
            try
            {
                body = Answer(request);
                status = 200;
            }
            catch (StripeError error)
            {
                status = error.Status;
                body = error.ToJson(requestId);
            }
        }
        Record(request, status);
        if (Latency.Delay(sequence) is { } latency)
        {
            await Task.Delay(latency, context.RequestAborted);
        }

        var response = context.Response;
        response.StatusCode = status;
        response.ContentType = fault?.Kind == FaultKind.HtmlError ? "text/html" : "application/json";
        response.ContentLength = body.Length;
        response.Headers["Request-Id"] = requestId;
        response.Headers["Stripe-Version"] = request.Headers["Stripe-Version"] is { Count: > 0 } v ? v.ToString() : StripeApiVersion.Pinned;
        response.Headers["Cache-Control"] = "no-cache, no-store";
        // The simulator's own clock, as Stripe's servers send theirs: clients can measure their skew.
        response.Headers.Date = account.Now.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        if (fault?.ShouldRetry is { } retry)
        {
            response.Headers["Stripe-Should-Retry"] = retry ? "true" : "false";
        }
        if (fault?.RetryAfter is { } after)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        if (fault?.Kind == FaultKind.MalformedJson)
        {
            body = body[..(body.Length / 2)];
            response.ContentLength = body.Length;
        }
        if (fault?.Kind == FaultKind.TruncatedBody)
        {
            await response.Body.WriteAsync(body.AsMemory(0, body.Length / 2), context.RequestAborted);
            await response.Body.FlushAsync(context.RequestAborted);
            context.Abort();
            return;
        }
        await response.Body.WriteAsync(body, context.RequestAborted);
    }

    /// <summary>Logs a request with the status it got (0: the connection was dropped).</summary>
    private void Record(HttpRequest request, int status)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in request.Headers)
        {
            headers[name] = values.ToString();
        }
        log.Add(new RecordedRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value?.TrimStart('?') ?? "",
            headers, status, account.Now));
    }

    private byte[] Answer(HttpRequest request)
    {
        var key = Authenticate(request);
        if (request.Headers["Stripe-Version"] is { Count: > 0 } version && !VersionPattern().IsMatch(version.ToString()))
        {
            throw StripeErrors.InvalidVersion(version.ToString());
        }
        if (request.Headers["Stripe-Account"] is { Count: > 0 } onBehalfOf && onBehalfOf.ToString() != options.AccountId)
        {
            throw StripeErrors.NoAccessToAccount(key, onBehalfOf.ToString());
        }
        var path = request.Path.Value ?? "/";
        var route = request.Method == HttpMethods.Get ? _router.Match(path) : null;
        if (route is null)
        {
            throw StripeErrors.UnrecognizedUrl(request.Method, path);
        }
        var forbidden = options.ForbiddenStreams.Contains(route.Stream.Name)
            || (route.Stream.Parent is { } parent && options.ForbiddenStreams.Contains(parent.Stream));
        if (forbidden)
        {
            throw StripeErrors.MissingPermission(key, options.AccountId, StripeObjects.ObjectName(route.Stream.Name));
        }
        var raw = request.QueryString.Value ?? "";
        return route.IsRetrieve ? _lists.Retrieve(route, ListQuery.ParseRetrieve(raw)) : _lists.List(route, ListQuery.Parse(raw, route.Allowed), path);
    }

    /// <summary>The key of a Bearer (or Basic, as <c>curl -u key:</c> sends it) Authorization header.</summary>
    private string Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        string? key = null;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = header[7..].Trim();
        }
        else if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[6..].Trim()));
                key = decoded.Split(':')[0];
            }
            catch (FormatException)
            {
                key = null;
            }
        }
        if (string.IsNullOrEmpty(key))
        {
            throw StripeErrors.NoApiKey();
        }
        if (key != options.SecretKey)
        {
            throw StripeErrors.InvalidApiKey(key);
        }
        return Revoked ? throw StripeErrors.ExpiredApiKey(key) : key;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")]
    private static partial Regex VersionPattern();
}
