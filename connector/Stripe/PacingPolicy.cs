namespace SourceStripe.Stripe;

/// <summary>
/// The rate one of <see cref="StripeRateLimiter"/>'s budgets paces requests at. Stripe counts requests as they arrive,
/// over a sliding second, and a request that leaves on time can still arrive late (a connection being
/// opened, a thread or a garbage collection pausing either side) and land in the same second as later
/// ones. Such bunching is a few milliseconds, rarely tens: a 2% margin (20 ms of a second) absorbs most of
/// it, and the few 429s left cost less than a wider margin would. The key's first requests open their
/// connections, so its pace starts a little lower (80% of the aim, 0.8 s of backfill lost at most) and
/// climbs 5% of the limit a second; an endpoint's starts at the aim, since the key's already paces them.
/// A 429 cuts it by 5%, once a second at most (the requests already in
/// flight when the first 429 came may meet more), and from then on it climbs 2% a second, back to the
/// aim in under 3 s: Stripe's 429s here come from bunching far more often than from a lower limit, so the
/// cut is shallow, while repeated 429s (a key shared with another client) still walk it down 5% a second.
/// </summary>
internal sealed class PacingPolicy
{
    /// <summary>The share of the limit aimed at.</summary>
    internal const double Aim = 0.98;
    private const double StartShare = 0.8;
    private const double FirstClimb = 0.05;
    private const double Climb = 0.02;
    private const double Cut = 0.95;

    private readonly long _second;
    private readonly double _limit;
    private readonly double _max;
    private readonly double _min;
    private double _rate;
    private double _climb = FirstClimb;
    private long _updated;
    private long _lastCut;

    public PacingPolicy(double limit, long now, long timestampFrequency, double startShare = StartShare)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        _second = timestampFrequency;
        _limit = limit;
        _max = limit * Aim;
        _min = Math.Min(_max, Math.Max(0.5, limit / 20));
        _rate = _max * startShare;
        _updated = now;
    }

    /// <summary>The most requests a sliding second may hold.</summary>
    public int MaxPerSecond => Math.Max(1, (int)Math.Floor(_max));

    /// <summary>How many 429s lowered the rate.</summary>
    public long Throttles { get; private set; }

    /// <summary>The rate at <paramref name="now"/>, after the climb since it was last asked.</summary>
    public double Rate(long now)
    {
        if (now > _updated)
        {
            var seconds = (double)(now - _updated) / _second;
            _rate = Math.Min(_max, _rate + (_limit * _climb * seconds));
            _updated = now;
        }
        return _rate;
    }

    /// <summary>Whether the rate at <paramref name="now"/> is its aim: no cut of the past is still being climbed back.</summary>
    public bool IsAtAim(long now) => Rate(now) >= _max;

    /// <summary>Stripe answered 429 at <paramref name="now"/>: true when that lowered the rate.</summary>
    public bool Throttled(long now)
    {
        if (Throttles > 0 && now - _lastCut < _second)
        {
            return false;
        }
        _rate = Math.Max(_min, Rate(now) * Cut);
        _climb = Climb;
        _lastCut = now;
        Throttles++;
        return true;
    }
}
