using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;

namespace SourceStripe.Stripe;

/// <summary>
/// The one limiter every Stripe request waits on. It paces requests evenly at a rate that starts at
/// the account's limit, falls by a third on each 429 (at most once per second, so a burst of 429s from
/// requests already in flight counts once) and climbs back by 2% of the limit each second without one:
/// additive increase, multiplicative decrease. Stripe's limit is per second, so evenly paced requests
/// use it fully without the bursts that trigger 429 storms.
/// </summary>
public sealed class AdaptiveRateLimiter : RateLimiter
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly double _max;
    private readonly double _min;
    private double _rate;
    private long _nextSlot;
    private long _lastDecrease;
    private long _lastIncrease;
    private long _throttles;

    public AdaptiveRateLimiter(double requestsPerSecond, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _max = requestsPerSecond;
        _min = Math.Max(0.5, requestsPerSecond / 20);
        _rate = requestsPerSecond;
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
            _rate = Math.Max(_min, _rate * 2 / 3);
            _throttles++;
        }
    }

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        Reserve(permitCount, out var wait) && wait <= TimeSpan.Zero ? Lease.Granted : Lease.Denied;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Reserve(permitCount, out var wait);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, _clock, cancellationToken).ConfigureAwait(false);
        }
        return Lease.Granted;
    }

    /// <summary>Takes the next free slots of the pacing schedule; <paramref name="wait"/> is how long until they come.</summary>
    private bool Reserve(int permits, out TimeSpan wait)
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            var sinceIncrease = _clock.GetElapsedTime(_lastIncrease, now);
            if (sinceIncrease >= TimeSpan.FromSeconds(1))
            {
                _rate = Math.Min(_max, _rate + (_max * 0.02 * Math.Floor(sinceIncrease.TotalSeconds)));
                _lastIncrease = now;
            }
            var interval = (long)(_clock.TimestampFrequency / _rate);
            // Idle time does not bank more than a tenth of a second of requests.
            var earliest = now - (_clock.TimestampFrequency / 10);
            var slot = Math.Max(_nextSlot, earliest);
            _nextSlot = slot + (interval * permits);
            wait = slot > now ? _clock.GetElapsedTime(now, slot) : TimeSpan.Zero;
            return true;
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
