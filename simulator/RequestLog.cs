namespace SourceStripe.Simulator;

/// <summary>
/// One request the simulator answered. <see cref="QueryString"/> is the raw query without the leading <c>?</c>;
/// <see cref="Headers"/> holds every request header (case-insensitive names, repeated values comma-joined).
/// </summary>
public sealed record RecordedRequest(
    string Method,
    string Path,
    string QueryString,
    IReadOnlyDictionary<string, string> Headers,
    int Status,
    DateTimeOffset At)
{
    /// <summary>The request's <c>Stripe-Account</c> header: the account it was made for (null: the platform's own).</summary>
    public string? StripeAccount { get; init; }

    /// <summary>The endpoint the request counts against for Stripe's rate limits (<c>GET /v1/customers/{id}/sources</c>;
    /// see <see cref="RateLimitEnforcer.Endpoint"/>).</summary>
    public string Endpoint { get; init; } = "";

    /// <summary>The <c>Stripe-Rate-Limited-Reason</c> of a 429 (<see cref="RateLimitReasons"/>); null for any other
    /// answer and for a 429 without it (<c>lock_timeout</c>).</summary>
    public string? RateLimitedReason { get; init; }
}

/// <summary>The request log: appended by concurrent requests, read as snapshots.</summary>
internal sealed class RequestLog
{
    private readonly Lock _gate = new();
    private readonly List<RecordedRequest> _requests = [];

    public void Add(RecordedRequest request)
    {
        lock (_gate)
        {
            _requests.Add(request);
        }
    }

    public IReadOnlyList<RecordedRequest> Snapshot()
    {
        lock (_gate)
        {
            return [.. _requests];
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _requests.Clear();
        }
    }
}
