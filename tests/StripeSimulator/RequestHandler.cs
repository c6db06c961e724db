using Microsoft.AspNetCore.Http;

namespace SourceStripe.Simulator;

/// <summary>
/// Adapts Kestrel's requests to <see cref="SimulatedStripeApi"/>, adding what only tests need: injected faults,
/// latency, and a log of every request with the status it got.
/// </summary>
internal sealed class RequestHandler(SimulatedStripeApi api, RequestLog log)
{
    public FaultInjector Faults { get; } = new();

    /// <summary>The latency added to every answer; set by <see cref="StripeSimulator.Latency"/>.</summary>
    public LatencyModel Latency { get; set; } = new(api.Options.Latency, api.Options.LatencySigma, api.Options.Seed);

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var sequence = api.NextSequence();
        var requestId = SimulatedStripeApi.RequestId(sequence);
        var path = request.Path.Value ?? "/";
        var fault = Faults.Next(path);
        if (fault?.Kind == FaultKind.Slow)
        {
            await Task.Delay(fault.Delay, context.RequestAborted);
        }
        if (fault?.Kind == FaultKind.DropConnection)
        {
            Record(request, 0);
            context.Abort();
            return;
        }
        string? Header(string name) => request.Headers.TryGetValue(name, out var values) && values.Count > 0 ? values.ToString() : null;
        var answer = fault?.Kind is FaultKind.JsonError or FaultKind.HtmlError
            ? api.Respond(fault.Status, fault.Body(requestId), requestId, Header)
            : api.Answer(request.Method, path, request.QueryString.Value ?? "", Header, sequence);
        Record(request, answer.Status);
        if (Latency.Delay(sequence) is { } latency)
        {
            await Task.Delay(latency, context.RequestAborted);
        }

        var response = context.Response;
        response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers)
        {
            response.Headers[name] = value;
        }
        if (fault?.Kind == FaultKind.HtmlError)
        {
            response.ContentType = "text/html";
        }
        if (fault?.ShouldRetry is { } retry)
        {
            response.Headers["Stripe-Should-Retry"] = retry ? "true" : "false";
        }
        if (fault?.RetryAfter is { } after)
        {
            response.Headers.RetryAfter = ((int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        var body = fault?.Kind == FaultKind.MalformedJson ? answer.Body[..(answer.Body.Length / 2)] : answer.Body;
        response.ContentLength = body.Length;
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
            headers, status, api.Account.Now));
    }
}
