using System.Net;

namespace SourceStripe.Config;

/// <summary>How a document is made from a Stripe event.</summary>
public enum EventPayloads
{
    /// <summary>The event's own object when it was rendered in the pinned API version, else a fresh read.</summary>
    Auto,

    /// <summary>Always a fresh read of the object at the pinned version (one request per changed object).</summary>
    Refetch,
}

/// <summary>Options under <c>advanced</c>, for tests, proxies and tuning.</summary>
public sealed record AdvancedConfig(Uri BaseUrl)
{
    public static readonly Uri DefaultBaseUrl = new("https://api.stripe.com");

    public const int DefaultEventLagSeconds = 60;

    /// <summary>Events are read only up to now minus this: Stripe lists them eventually consistently.</summary>
    public TimeSpan EventLag { get; init; } = TimeSpan.FromSeconds(DefaultEventLagSeconds);

    public const int DefaultListLagSeconds = 30;

    /// <summary>Polls read objects created only up to now minus this: an object can show in Stripe's lists a little after it was created.</summary>
    public TimeSpan ListLag { get; init; } = TimeSpan.FromSeconds(DefaultListLagSeconds);

    public EventPayloads EventPayloads { get; init; } = EventPayloads.Auto;

    public const int DefaultRequestTimeoutSeconds = 60;

    public const int DefaultMaxRetrySeconds = 600;

    /// <summary>How long one attempt may take before it is abandoned and retried.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(DefaultRequestTimeoutSeconds);

    /// <summary>How long one request may take, retries included, before the capture fails.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(DefaultMaxRetrySeconds);

    /// <summary>Overrides the request rate the key's mode allows (100/s live, 25/s test).</summary>
    public int? MaxRequestsPerSecond { get; init; }

    public int RequestsPerSecond(SecretKey key) => MaxRequestsPerSecond ?? (key.IsLive ? 100 : 25);

    /// <summary>Stripe's default limit for each endpoint, in either mode.</summary>
    public const int DefaultRequestsPerSecondPerEndpoint = 25;

    /// <summary>The rate each endpoint is paced to, within the key's (Stripe raises it for some accounts).</summary>
    public int RequestsPerSecondPerEndpoint { get; init; } = DefaultRequestsPerSecondPerEndpoint;

    /// <summary>Every IPv4 interface, on the port the image declares public (EXPOSE 8080).</summary>
    public static IPEndPoint DefaultWebhookAddress => new(IPAddress.Any, 8080);

    /// <summary>Where the listener for Stripe's webhooks binds, when the endpoint config has a signing secret.</summary>
    public IPEndPoint WebhookAddress { get; init; } = DefaultWebhookAddress;

    public static readonly TimeSpan DefaultEventsIntervalWithWebhooks = TimeSpan.FromMinutes(15);

    /// <summary>How often each account's events are polled while webhooks arrive (never more often than its bindings' interval).</summary>
    public TimeSpan EventsIntervalWithWebhooks { get; init; } = DefaultEventsIntervalWithWebhooks;

    public static AdvancedConfig Default { get; } = new(DefaultBaseUrl);
}
