using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;

namespace SourceStripe.Stripe;

/// <summary>
/// The one limiter every Stripe request waits on. Stripe counts requests per second, so the limiter
/// keeps a log of the requests actually sent in the last second and lets one more go only while that
/// count is under the rate, spacing them at least half an interval apart so waiting requests do not leave
/// in a clump. The rate aims 5% under the account's limit, since requests that leave evenly can still
/// arrive bunched, most of all while connections are first opened: so it starts at half the limit and
/// climbs by 5% of it each quiet second. A 429 cuts it by a tenth, at most once a second so that a burst
/// of 429s from requests already in flight counts once, and from then on it climbs by 1% a second:
/// additive increase, multiplicative decrease, probing gently near the limit it has found.
/// </summary>
public sealed class AdaptiveRateLimiter : RateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly Queue<long> _sent = new();
    private readonly double _max;
    private readonly double _min;
    private double _rate;
    private double _climb = 0.05;
    private long _nextSlot;
    private long _lastDecrease;
    private long _lastIncrease;
    private long _throttles;

    public AdaptiveRateLimiter(double requestsPerSecond, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _max = requestsPerSecond * 0.95;
        _min = Math.Max(0.5, requestsPerSecond / 20);
        _rate = _max / 2;
        _nextSlot = _lastIncrease = _lastDecrease = _clock.GetTimestamp();
    }

    /// <summary>The rate requests are paced at now.</summary>
    public double CurrentRate
    {
        get { lock (_gate) { return _rate; } }
    }

    /// <summary>How many 429s lowered the rate.</summary>
    public long Throttles => Interlocked.Read(ref _throttles);

    public override TimeSpan? IdleDuration => null;

    /// <summary>Stripe answered 429: slow down.</summary>
    public void OnThrottled()
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            if (_clock.GetElapsedTime(_lastDecrease, now) < TimeSpan.FromSeconds(1))
            {
                return;
            }
            _lastDecrease = _lastIncrease = now;
            _rate = Math.Max(_min, _rate * 0.9);
            _climb = 0.01;
            _throttles++;
        }
    }

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        TryTake(permitCount) <= TimeSpan.Zero ? Lease.Granted : Lease.Denied;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        while (TryTake(permitCount) is var wait && wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
        }
        return Lease.Granted;
    }

    /// <summary>Takes the permits now if the last second allows it (zero), else says how long to wait.</summary>
    private TimeSpan TryTake(int permits)
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            var second = _clock.TimestampFrequency;
            var sinceIncrease = _clock.GetElapsedTime(_lastIncrease, now);
            if (sinceIncrease >= TimeSpan.FromSeconds(1))
            {
                _rate = Math.Min(_max, _rate + (_max * _climb * Math.Floor(sinceIncrease.TotalSeconds)));
                _lastIncrease = now;
            }
            while (_sent.Count > 0 && now - _sent.Peek() >= second)
            {
                _sent.Dequeue();
            }
            var allowed = Math.Max(1, (int)Math.Floor(_rate));
            if (_sent.Count + permits <= allowed && now >= _nextSlot)
            {
                for (var i = 0; i < permits; i++)
                {
                    _sent.Enqueue(now);
                }
                _nextSlot = now + (long)(second / _rate / 2 * permits);
                return TimeSpan.Zero;
            }
            var until = Math.Max(_nextSlot, _sent.Count + permits > allowed ? _sent.Peek() + second : now);
            return _clock.GetElapsedTime(now, Math.Max(until, now + 1));
        }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Denied = new(false);

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, [MaybeNullWhen(false)] out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
