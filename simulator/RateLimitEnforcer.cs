using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;

namespace SourceStripe.Simulator;

/// <summary>
/// Stripe's two rate limiters over a sliding second: one global bucket for the key, and one bucket per endpoint of
/// each account requests are made for (the <c>Stripe-Account</c> header, else the key's own account). A request is
/// checked against the global bucket, then its endpoint's, and counted in both only when both have room.
/// Thread-safe.
/// </summary>
public sealed class RateLimitEnforcer
{
    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz_");

    private readonly Lock _gate = new();
    private readonly RateLimits _limits;
    private readonly string _platform;
    private readonly TimeProvider _time;
    private readonly long _second;
    private readonly Window _global;
    private readonly Dictionary<(string Account, string Endpoint), Window> _endpoints = [];
    private long _lastSweep;

    /// <param name="limits">The limits.</param>
    /// <param name="secretKey">The key, whose mode sets the global limit unless <see cref="RateLimits.GlobalPerSecond"/> does.</param>
    /// <param name="platformAccount">The key's own account: requests without <c>Stripe-Account</c> are made for it.</param>
    /// <param name="time">Real time (default: the system's); never the simulator's clock, which tests freeze.</param>
    public RateLimitEnforcer(RateLimits limits, string secretKey, string platformAccount, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(limits);
        ArgumentNullException.ThrowIfNull(platformAccount);
        _limits = limits;
        _platform = platformAccount;
        _time = time ?? TimeProvider.System;
        _second = _time.TimestampFrequency;
        _global = new Window(limits.GlobalFor(secretKey));
        _lastSweep = _time.GetTimestamp();
    }

    public RateLimits Limits => _limits;

    /// <summary>Endpoint buckets held now: those of endpoints idle for over a second are dropped.</summary>
    public int EndpointBuckets
    {
        get { lock (_gate) { return _endpoints.Count; } }
    }

    /// <summary>
    /// Counts a request to <paramref name="endpoint"/> (as <see cref="Endpoint"/> names it) made for
    /// <paramref name="stripeAccount"/> (null: the key's own account). Null when accepted, else the
    /// <see cref="RateLimitReasons"/> value of the limiter that refused it.
    /// </summary>
    public string? TryAcquire(string endpoint, string? stripeAccount)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (now - _lastSweep >= _second)
            {
                DropIdle(now);
            }
            if (!_global.HasRoom(now, _second))
            {
                return RateLimitReasons.GlobalRate;
            }
            ref var window = ref CollectionsMarshal.GetValueRefOrAddDefault(_endpoints, (stripeAccount ?? _platform, endpoint), out _);
            window ??= new Window(_limits.EndpointFor(endpoint));
            if (!window.HasRoom(now, _second))
            {
                return RateLimitReasons.EndpointRate;
            }
            _global.Add(now);
            window.Add(now);
            return null;
        }
    }

    /// <summary>
    /// The endpoint a request counts against: its method and path, without the query, each segment that is an object id
    /// replaced by <c>{id}</c> (<c>GET /v1/customers/{id}/sources</c>). Resource names are lowercase letters and
    /// underscores; Stripe's ids (<c>cus_NffrFeUfNV2Hib</c>) have digits or capitals, and user-chosen ids (coupons) are
    /// told apart the same way, so a coupon id of lowercase letters alone would count as a name.
    /// </summary>
    public static string Endpoint(string method, string path)
    {
        ArgumentNullException.ThrowIfNull(method);
        ArgumentNullException.ThrowIfNull(path);
        var end = path.IndexOf('?', StringComparison.Ordinal);
        var segments = end < 0 ? path.AsSpan() : path.AsSpan(0, end);
        var name = new StringBuilder(method.Length + segments.Length + 1).Append(method).Append(' ');
        var version = true;
        foreach (var range in segments.Split('/'))
        {
            var segment = segments[range];
            if (segment.IsEmpty)
            {
                continue;
            }
            // The first segment is the API version (v1), not a name of lowercase letters.
            name.Append('/').Append(version || IsName(segment) ? segment : "{id}");
            version = false;
        }
        return version ? name.Append('/').ToString() : name.ToString();
    }

    private static bool IsName(ReadOnlySpan<char> segment) => !segment.ContainsAnyExcept(NameChars);

    private void DropIdle(long now)
    {
        // Memory must follow the endpoints in use, not every account × endpoint ever seen: a bucket empty for a
        // second holds nothing the next request would be refused for.
        foreach (var (key, window) in _endpoints)
        {
            if (now - window.Newest >= _second)
            {
                _endpoints.Remove(key);
            }
        }
        _lastSweep = now;
    }

    /// <summary>A sliding-window log: the times of the last <c>limit</c> accepted requests, oldest first from <see cref="_next"/>.</summary>
    private sealed class Window(int limit)
    {
        private readonly long[] _accepted = new long[limit];
        private int _next;
        private int _count;

        public long Newest { get; private set; }

        public bool HasRoom(long now, long second) => _count < _accepted.Length || now - _accepted[_next] >= second;

        public void Add(long now)
        {
            _accepted[_next] = now;
            _next = (_next + 1) % _accepted.Length;
            _count = Math.Min(_count + 1, _accepted.Length);
            Newest = now;
        }
    }
}
