using System.Globalization;
using System.Text;

namespace SourceStripe.Simulator.Server;

/// <summary>What the server does with one request: send <see cref="Response"/> (only the first
/// <see cref="SendBodyBytes"/> of its body, then reset the connection, when set), or reset without answering.</summary>
internal sealed record Reply(SimulatedResponse? Response, int? SendBodyBytes = null)
{
    public static Reply Dropped { get; } = new((SimulatedResponse?)null);
}

/// <summary>
/// One request's answer with what a test or benchmark arranged around it: injected faults (served before
/// authentication, as a gateway or Stripe's edge would), then Stripe's rate limits, latency, and the request log.
/// </summary>
internal sealed class RequestHandler(SimulatedStripeApi api)
{
    public FaultInjector Faults { get; } = new();

    public RequestLog Log { get; } = new();

    /// <summary>The latency added to every answer; set by <see cref="StripeSimulator.Latency"/>.</summary>
    public LatencyModel Latency { get; set; } = new(api.Options.Latency, api.Options.LatencySigma, api.Options.Seed);

    private volatile RateLimitEnforcer? _limiter = Limiter(api.Options.RateLimits, api.Options);

    /// <summary>The limits enforced (null: none); setting them starts their windows afresh. Set by
    /// <see cref="StripeSimulator.RateLimits"/>.</summary>
    public RateLimits? RateLimits
    {
        get => _limiter?.Limits;
        set => _limiter = Limiter(value, api.Options);
    }

    private static RateLimitEnforcer? Limiter(RateLimits? limits, SimulatorOptions options) =>
        limits is null ? null : new RateLimitEnforcer(limits, options.SecretKey, options.AccountId);

    /// <summary>How JSON answers go on the wire; set by <see cref="StripeSimulator.WireFormat"/>.</summary>
    public WireFormat WireFormat { get; set; } = api.Options.WireFormat;

    public async Task<Reply> HandleAsync(LoopbackRequest request, CancellationToken ct)
    {
        var sequence = api.NextSequence();
        var requestId = SimulatedStripeApi.RequestId(sequence);
        var endpoint = RateLimitEnforcer.Endpoint(request.Method, request.Path);
        // A request an injected fault takes never reached Stripe's limiters: it is not counted.
        var fault = Faults.Next(request.Path) ?? RateLimited(endpoint, request.Header("Stripe-Account"));
        if (fault?.Kind == FaultKind.Slow)
        {
            await Task.Delay(fault.Delay, ct).ConfigureAwait(false);
        }
        if (fault?.Kind == FaultKind.DropConnection)
        {
            Record(request, 0, endpoint, fault);
            return Reply.Dropped;
        }
        var answer = fault?.Kind is FaultKind.JsonError or FaultKind.HtmlError
            ? api.Respond(fault.Status, fault.Body(requestId), requestId, request.Header)
            : Answer(request, sequence);
        Record(request, answer.Status, endpoint, fault);
        if (Latency.Delay(sequence) is { } latency)
        {
            await Task.Delay(latency, ct).ConfigureAwait(false);
        }
        if (fault is not null)
        {
            answer = answer with { Headers = FaultHeaders(answer, fault) };
        }
        var wire = WireEncoding.Encode(answer, WireFormat, request.Header("Accept-Encoding"), cutJson: fault?.Kind == FaultKind.MalformedJson);
        // A truncated body is cut on the wire, after compression: a gzip'd one stops mid-stream.
        return new Reply(wire, fault?.Kind == FaultKind.TruncatedBody ? wire.Body.Length / 2 : null);
    }

    private Fault? RateLimited(string endpoint, string? stripeAccount) =>
        _limiter?.TryAcquire(endpoint, stripeAccount) is { } reason ? Fault.RateLimited(reason: reason) : null;

    private static List<KeyValuePair<string, string>> FaultHeaders(SimulatedResponse answer, Fault fault)
    {
        var headers = answer.Headers.Where(h => fault.Kind != FaultKind.HtmlError || h.Key != "Content-Type").ToList();
        if (fault.Kind == FaultKind.HtmlError)
        {
            headers.Add(new("Content-Type", "text/html"));
        }
        if (fault.ShouldRetry is { } retry)
        {
            headers.Add(new("Stripe-Should-Retry", retry ? "true" : "false"));
        }
        if (fault.Reason is { } reason)
        {
            headers.Add(new(RateLimitReasons.Header, reason));
        }
        if (fault.RetryAfter is { } after)
        {
            headers.Add(new("Retry-After", ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture)));
        }
        return headers;
    }

    private SimulatedResponse Answer(LoopbackRequest request, long sequence)
    {
        try
        {
            return api.Answer(request.Method, request.Path, request.Query, request.Header, sequence);
        }
        catch (Exception e)
        {
            // A fault in the simulator itself: answer as a server does, not by dropping the connection.
            return Plain(500, $"Internal Server Error: {e.GetType().Name}: {e.Message}");
        }
    }

    public static SimulatedResponse Plain(int status, string text) =>
        new(status, Encoding.UTF8.GetBytes(text), [new("Content-Type", "text/plain; charset=utf-8")]);

    /// <summary>Logs a request with the status it got (0: the connection was dropped).</summary>
    private void Record(LoopbackRequest request, int status, string endpoint, Fault? fault) =>
        Log.Add(new RecordedRequest(request.Method, request.Path, request.Query, request.Headers, status, api.Account.Now)
        {
            StripeAccount = request.Header("Stripe-Account"),
            Endpoint = endpoint,
            RateLimitedReason = status == 429 ? fault?.Reason : null,
        });
}
