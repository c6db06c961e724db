using System.Collections.Frozen;

namespace SourceStripe.Simulator;

/// <summary>How a simulated account is generated and how the simulator answers.</summary>
public sealed record SimulatorOptions
{
    /// <summary>The same options give byte-identical objects (given fixed <see cref="CreatedFrom"/>/<see cref="CreatedTo"/> or <see cref="Clock"/>).</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Objects of each top-level resource; children derive from their parents.</summary>
    public int ObjectsPerStream { get; init; } = 20;

    /// <summary>Per top-level resource (by <see cref="Resource.Name"/>), a number of objects that replaces <see cref="ObjectsPerStream"/>:
    /// e.g. 100,000 charges for a benchmark without 100,000 of everything else.</summary>
    public IReadOnlyDictionary<string, int>? ObjectCounts { get; init; }

    /// <summary>Start of the creation times; default: now - 400 days.</summary>
    public DateTimeOffset CreatedFrom { get; init; }

    /// <summary>End (exclusive) of the creation times; default: now - 1 hour.</summary>
    public DateTimeOffset CreatedTo { get; init; }

    /// <summary>0 = creation times uniform over the range; 0.8 = 80% of objects in the last 30 days of the range.</summary>
    public double RecentSkew { get; init; }

    public string SecretKey { get; init; } = "sk_live_simulator";

    public string AccountId { get; init; } = "acct_simulator";

    /// <summary>The API version answers and events are rendered in when a request names none: the version the
    /// samples (<c>Samples/*.json</c>) were written in.</summary>
    public string ApiVersion { get; init; } = DefaultApiVersion;

    public const string DefaultApiVersion = "2026-10-28.endive";

    /// <summary>A restricted key: these resources' list endpoints (and their children's) answer 403.</summary>
    public IReadOnlySet<string> ForbiddenStreams { get; init; } = FrozenSet<string>.Empty;

    /// <summary>
    /// What the account lacks (not a Connect platform, Issuing not enabled, …): those resources' endpoints answer
    /// as Stripe does for such an account. Default: it has every feature, as the demo account does.
    /// </summary>
    public IReadOnlySet<AccountFeature> MissingFeatures { get; init; } = FrozenSet<AccountFeature>.Empty;

    /// <summary>"Now" for the simulator (tests move time); default: the system clock.</summary>
    public Func<DateTimeOffset>? Clock { get; init; }

    /// <summary>
    /// Eventual consistency of <c>/v1/events</c>: an event a mutation emits keeps the mutation's <c>created</c> but
    /// lists (and cursors) see it only once the clock reaches <c>created + d</c>, d a deterministic pseudo-random delay
    /// in [0, EventVisibilityDelay) drawn from the seed and the event id. Default zero: visible at once.
    /// </summary>
    public TimeSpan EventVisibilityDelay { get; init; }

    /// <summary>
    /// Stripe-like response latency: the median delay added to every answer (after routing, before the body is
    /// written). Each request's delay is lognormal around it with <see cref="LatencySigma"/>, drawn from the seed and
    /// the request's sequence number, so a run is reproducible. Default zero: answers at once.
    /// </summary>
    public TimeSpan Latency { get; init; }

    /// <summary>The lognormal sigma of <see cref="Latency"/>'s tail: 0.5 puts p99 at about 3.2 × the median.</summary>
    public double LatencySigma { get; init; } = 0.5;

    /// <summary>
    /// Stripe Connect accounts connected to this platform, each generated from the seed and its index on its first
    /// request. When there are any, the platform's <c>/v1/accounts</c> lists exactly them and the population's
    /// (no generated accounts).
    /// Default empty: one account, the platform.
    /// </summary>
    public IReadOnlyList<ConnectedAccountOptions> ConnectedAccounts { get; init; } = [];

    /// <summary>
    /// Many more connected accounts, after <see cref="ConnectedAccounts"/>, without a record each: up to
    /// <see cref="ConnectedAccountPopulation.MaxAccounts"/> in all. The platform's <c>/v1/accounts</c> lists them
    /// from the seed; each one's data is generated when a request first reads it. Default: none.
    /// </summary>
    public ConnectedAccountPopulation? ConnectedAccountPopulation { get; init; }

    internal bool IsPlatform => ConnectedAccounts.Count > 0 || ConnectedAccountPopulation is { Count: > 0 };

    /// <summary>The sequence the account's first id encodes: a connected account's ids start past every other account's.</summary>
    internal long FirstSequence { get; init; } = 1;

    /// <summary>The top-level <c>account</c> of the account's events: a connected account's id, null on the platform.</summary>
    internal string? EventAccount { get; init; }

    internal int CountOf(string stream) =>
        stream == "accounts" && IsPlatform ? 0
        : ObjectCounts is not null && ObjectCounts.TryGetValue(stream, out var n) ? n : ObjectsPerStream;

    internal Func<DateTimeOffset> ClockOrSystem => Clock ?? (() => DateTimeOffset.UtcNow);

    internal (long From, long To) CreatedRange(DateTimeOffset now)
    {
        var from = CreatedFrom == default ? now.AddDays(-400) : CreatedFrom;
        var to = CreatedTo == default ? now.AddHours(-1) : CreatedTo;
        if (to <= from)
        {
            throw new ArgumentException($"CreatedTo ({to:O}) must be after CreatedFrom ({from:O}).");
        }
        return (from.ToUnixTimeSeconds(), to.ToUnixTimeSeconds());
    }

    /// <summary>
    /// The rate limits answered with 429 <c>rate_limit</c> and a <c>Stripe-Rate-Limited-Reason</c> header, over a sliding
    /// second of real time (not <see cref="Clock"/>). Default: Stripe's (<see cref="RateLimits.Stripe"/>); null: none.
    /// <see cref="StripeSimulator.RateLimits"/> changes them at run time.
    /// </summary>
    public RateLimits? RateLimits { get; init; } = RateLimits.Stripe;

    /// <summary>How JSON answers go on the wire: Stripe's indented and gzip'd JSON (the default) or compact JSON.
    /// <see cref="StripeSimulator.WireFormat"/> changes it at run time.</summary>
    public WireFormat WireFormat { get; init; } = WireFormat.Stripe;

    /// <summary>How events are delivered to webhook destinations (none by default: register them here or with
    /// <see cref="StripeSimulator.AddWebhookDestination"/>).</summary>
    public Webhooks.WebhookOptions Webhooks { get; init; } = new();

    /// <summary>When set, the simulator serves HTTPS with this certificate (a test CA's, for TLS tests).</summary>
    public System.Security.Cryptography.X509Certificates.X509Certificate2? Certificate { get; init; }
}
