namespace SourceStripe.Stripe;

/// <summary>
/// One of Stripe's budgets as the client keeps it: the key's, or one endpoint's. A request may leave when both
/// allow it: the log of the requests it sent in the last second holds fewer than its policy's maximum (Stripe
/// counts over a sliding second too), and the spacing from the one before has passed, so that requests leave
/// evenly rather than in clumps that would reach Stripe in the same second. The spacing follows the schedule,
/// not the moment a timer fired: timers fire late (the system's count whole milliseconds, a busy thread pool
/// adds more), and measuring from the late moment would stretch every interval and lower the rate. Up to half
/// an interval of lateness (at least 5 ms) is made up, no more, so an idle budget banks no burst. Not
/// thread-safe: <see cref="StripeRateLimiter"/> holds its lock around every call.
/// </summary>
internal sealed class RequestPace(PacingPolicy policy, long now, long timestampFrequency)
{
    /// <summary>How late a timer may fire, at most, without lowering the rate.</summary>
    private static readonly double MaxTimerLatenessSeconds = 0.005;

    private readonly Queue<long> _sent = new();
    private long _next = now;

    public PacingPolicy Policy => policy;

    /// <summary>Requests sent in the second before <paramref name="now"/>.</summary>
    public int SentInLastSecond(long now)
    {
        Expire(now);
        return _sent.Count;
    }

    /// <summary>The earliest time the next request may leave.</summary>
    public long Slot(long now)
    {
        Expire(now);
        var logged = _sent.Count < policy.MaxPerSecond ? long.MinValue : _sent.ElementAt(_sent.Count - policy.MaxPerSecond) + timestampFrequency;
        return Math.Max(_next, logged);
    }

    /// <summary>A request leaves at <paramref name="now"/>, in the slot that opened at <paramref name="slot"/>.</summary>
    public void Take(long now, long slot)
    {
        var interval = timestampFrequency / policy.Rate(now);
        // The schedule may fall behind real time by half an interval, or by the few milliseconds a timer is
        // late, whichever is more: at a high rate (a proxy's limit, the demo) an interval is shorter than a
        // timer's tick, and one release per tick would cap the rate at a few hundred a second.
        var lag = Math.Max(interval / 2, timestampFrequency * MaxTimerLatenessSeconds);
        _next = Math.Max(slot + (long)interval, now + (long)(interval - lag));
        _sent.Enqueue(now);
    }

    /// <summary>Nothing sent in the last second and the rate back at its aim: forgetting this budget loses nothing.</summary>
    public bool IsIdle(long now)
    {
        Expire(now);
        return _sent.Count == 0 && policy.IsAtAim(now);
    }

    private void Expire(long now)
    {
        while (_sent.Count > 0 && now - _sent.Peek() >= timestampFrequency)
        {
            _sent.Dequeue();
        }
    }
}
