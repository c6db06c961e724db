using System.Net;

namespace SourceStripe.Simulator.Webhooks;

/// <summary>
/// A Stripe event destination of type webhook endpoint: where the simulator POSTs the events it creates from now on.
/// As on Stripe, a destination gets either the account's own events (<see cref="Connect"/> false) or, on a platform,
/// the events of its connected accounts (<see cref="Connect"/> true), each carrying <c>account</c>.
/// </summary>
public sealed record WebhookDestination
{
    /// <summary>Where to POST. Only 127.0.0.1, localhost or [::1]: the simulator never sends a test's traffic elsewhere.</summary>
    public required Uri Url { get; init; }

    /// <summary>The destination's signing secrets (<c>whsec_…</c>, used whole): each delivery carries one <c>v1</c>
    /// per secret, as Stripe's do while a secret is rolled.</summary>
    public required IReadOnlyList<string> Secrets { get; init; }

    /// <summary>True: the connected accounts' events; false: the account's own.</summary>
    public bool Connect { get; init; }

    /// <summary>Event types to send; <c>*</c> sends every type.</summary>
    public IReadOnlyList<string> EnabledEvents { get; init; } = ["*"];

    /// <summary>Whether an event of <paramref name="type"/>, from a connected account or not, goes to this destination.</summary>
    internal bool Wants(string type, bool fromConnectedAccount) =>
        fromConnectedAccount == Connect && EnabledEvents.Any(e => e == "*" || e == type);

    /// <summary>Throws unless the destination can be used: a loopback http(s) URL and at least one non-empty secret.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Url);
        if (!Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https") || !IsLoopback(Url))
        {
            throw new ArgumentException(
                $"A webhook destination must be an http(s) URL on 127.0.0.1, localhost or [::1]; '{Url.Host}' is refused.", nameof(Url));
        }
        if (Secrets is null || Secrets.Count == 0 || Secrets.Any(string.IsNullOrEmpty))
        {
            throw new ArgumentException("A webhook destination needs at least one non-empty signing secret.", nameof(Secrets));
        }
        if (EnabledEvents is null || EnabledEvents.Count == 0)
        {
            throw new ArgumentException("A webhook destination needs at least one enabled event type ('*' for all).", nameof(EnabledEvents));
        }
    }

    private static bool IsLoopback(Uri url) =>
        url.Host == "localhost"
        || (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(url.DnsSafeHost, out var ip)
            && (ip.Equals(IPAddress.Loopback) || ip.Equals(IPAddress.IPv6Loopback)));
}
