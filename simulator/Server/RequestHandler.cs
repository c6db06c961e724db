using System.Globalization;
using System.Text;

namespace SourceStripe.Simulator;

/// <summary>What the server does with one request: send <see cref="Response"/> (only the first
/// <see cref="SendBodyBytes"/> of its body, then reset the connection, when set), or reset without answering.</summary>
internal sealed record Reply(SimulatedResponse? Response, int? SendBodyBytes = null)
{
    public static Reply Dropped { get; } = new((SimulatedResponse?)null);
}

/// <summary>
/// One request's answer with what a test or benchmark arranged around it: injected faults (served before
/// authentication, as a gateway or Stripe's edge would), latency, and the request log.
/// </summary>
internal sealed class RequestHandler(SimulatedStripeApi api)
{
    public FaultInjector Faults { get; } = new();

    public RequestLog Log { get; } = new();

    /// <summary>The latency added to every answer; set by <see cref="StripeSimulator.Latency"/>.</summary>
    public LatencyModel Latency { get; set; } = new(api.Options.Latency, api.Options.LatencySigma, api.Options.Seed);

    public async Task<Reply> HandleAsync(LoopbackRequest request, CancellationToken ct)
    {
        var sequence = api.NextSequence();
        var requestId = SimulatedStripeApi.RequestId(sequence);
        var fault = Faults.Next(request.Path);
        if (fault?.Kind == FaultKind.Slow)
        {
            await Task.Delay(fault.Delay, ct).ConfigureAwait(false);
        }
        if (fault?.Kind == FaultKind.DropConnection)
        {
            Record(request, 0);
            return Reply.Dropped;
        }
        var answer = fault?.Kind is FaultKind.JsonError or FaultKind.HtmlError
            ? api.Respond(fault.Status, fault.Body(requestId), requestId, request.Header)
            : Answer(request, sequence);
        Record(request, answer.Status);
        if (Latency.Delay(sequence) is { } latency)
        {
            await Task.Delay(latency, ct).ConfigureAwait(false);
        }
        if (fault is null)
        {
            return new Reply(answer);
        }
        var headers = answer.Headers.Where(h => fault.Kind != FaultKind.HtmlError || h.Key != "Content-Type").ToList();
        if (fault.Kind == FaultKind.HtmlError)
        {
            headers.Add(new("Content-Type", "text/html"));
        }
        if (fault.ShouldRetry is { } retry)
        {
            headers.Add(new("Stripe-Should-Retry", retry ? "true" : "false"));
        }
        if (fault.RetryAfter is { } after)
        {
            headers.Add(new("Retry-After", ((int)Math.Ceiling(after.TotalSeconds)).ToString(CultureInfo.InvariantCulture)));
        }
        var body = fault.Kind == FaultKind.MalformedJson ? answer.Body[..(answer.Body.Length / 2)] : answer.Body;
        return new Reply(answer with { Body = body, Headers = headers }, fault.Kind == FaultKind.TruncatedBody ? body.Length / 2 : null);
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
    private void Record(LoopbackRequest request, int status) =>
        Log.Add(new RecordedRequest(request.Method, request.Path, request.Query, request.Headers, status, api.Account.Now));
}
