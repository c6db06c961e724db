namespace SourceStripe.Webhooks;

/// <summary>
/// What the listener grants any caller before it has proved to be Stripe, so that floods of junk (thousands
/// of connections, slow senders, huge headers) cost the capture a bounded amount of memory and no thread.
/// </summary>
public sealed record WebhookLimits
{
    /// <summary>Stripe's events are a few kilobytes; the largest objects with their previous attributes stay far below this.</summary>
    public const int MaxBodyBytes = 1 << 20;

    /// <summary>
    /// Open connections at once; more are closed as they come. Each answer waits for a checkpoint Flow
    /// acknowledges (a few hundred milliseconds), so 500 deliveries a second need a few hundred open.
    /// An idle connection costs Kestrel a few kilobytes.
    /// </summary>
    public int MaxConnections { get; init; } = 500;

    /// <summary>How long a caller may take to send a request's line and headers (Stripe sends them at once).</summary>
    public TimeSpan RequestHeadersTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How long a connection may stay open between requests.</summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a body may take to arrive once its headers have, on the listener's clock. Kestrel also cuts
    /// a body slower than <see cref="MinBodyBytesPerSecond"/> after a 5 s grace period.
    /// </summary>
    public TimeSpan BodyTimeout { get; init; } = TimeSpan.FromSeconds(20);

    public const int MinBodyBytesPerSecond = 4096;

    /// <summary>The request line (method and path); Stripe posts to the path it was given, which is short.</summary>
    public const int MaxRequestLineBytes = 4096;

    /// <summary>All headers together; Stripe's are well under 2 KiB.</summary>
    public const int MaxRequestHeadersBytes = 16 * 1024;

    public const int MaxRequestHeaderCount = 32;

    /// <summary>
    /// Bodies being read or delivered, over all connections: beyond it a request is answered 503 (Stripe
    /// delivers it again) rather than buffered, whatever the connections' claimed lengths add up to.
    /// </summary>
    public long MaxBodyBytesInFlight { get; init; } = 16L << 20;

    public static WebhookLimits Default { get; } = new();
}
