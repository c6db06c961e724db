namespace SourceStripe.Simulator;

/// <summary>
/// Stripe's rate limiters (docs.stripe.com/rate-limits): a global rate per key, 100 requests a second in live mode and
/// 25 in a sandbox, and a rate per endpoint (one named operation: method and path template) of 25 a second unless
/// noted otherwise, 20 for the Files and Search APIs, which also counts against the global one.
/// </summary>
public sealed record RateLimits
{
    public const int LivePerSecond = 100;

    public const int SandboxPerSecond = 25;

    public const int FilesAndSearchPerSecond = 20;

    /// <summary>Stripe's documented limits.</summary>
    public static RateLimits Stripe { get; } = new();

    /// <summary>Requests a second over all endpoints; null: by the key's mode, <see cref="LivePerSecond"/> for a
    /// <c>sk_live_</c> or <c>rk_live_</c> key and <see cref="SandboxPerSecond"/> for any other.</summary>
    public int? GlobalPerSecond
    {
        get;
        init
        {
            if (value is { } limit)
            {
                ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
            }
            field = value;
        }
    }

    /// <summary>Requests a second to one endpoint; the Files and Search APIs' endpoints get at most
    /// <see cref="FilesAndSearchPerSecond"/>.</summary>
    public int EndpointPerSecond
    {
        get;
        init
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            field = value;
        }
    } = SandboxPerSecond;

    /// <summary>The global limit of <paramref name="secretKey"/>.</summary>
    public int GlobalFor(string secretKey)
    {
        ArgumentNullException.ThrowIfNull(secretKey);
        var live = secretKey.StartsWith("sk_live_", StringComparison.Ordinal) || secretKey.StartsWith("rk_live_", StringComparison.Ordinal);
        return GlobalPerSecond ?? (live ? LivePerSecond : SandboxPerSecond);
    }

    /// <summary>The limit of an endpoint named as <see cref="RateLimitEnforcer.Endpoint"/> names it.</summary>
    public int EndpointFor(string endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var path = endpoint.AsSpan(endpoint.IndexOf(' ', StringComparison.Ordinal) + 1);
        var files = path.Equals("/v1/files", StringComparison.Ordinal) || path.StartsWith("/v1/files/", StringComparison.Ordinal);
        var search = path.EndsWith("/search", StringComparison.Ordinal);
        return files || search ? Math.Min(FilesAndSearchPerSecond, EndpointPerSecond) : EndpointPerSecond;
    }
}

/// <summary>The values of the <c>Stripe-Rate-Limited-Reason</c> header of a 429, which names the limiter that refused
/// the request. Only the two rate limiters are the simulator's own; the others can be injected as faults.</summary>
public static class RateLimitReasons
{
    public const string Header = "Stripe-Rate-Limited-Reason";

    public const string GlobalRate = "global-rate";

    public const string EndpointRate = "endpoint-rate";

    public const string GlobalConcurrency = "global-concurrency";

    public const string EndpointConcurrency = "endpoint-concurrency";

    public const string ResourceSpecific = "resource-specific";
}
