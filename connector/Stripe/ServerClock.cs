using SourceStripe.Logging;

namespace SourceStripe.Stripe;

/// <summary>
/// Stripe's clock, estimated from the <c>Date</c> header of its responses. Objects carry Stripe's
/// timestamps, so a machine whose clock runs ahead would otherwise move its cursors past objects Stripe
/// has not created yet, and never read them.
/// </summary>
public sealed class ServerClock(TimeProvider local) : TimeProvider
{
    /// <summary>Skews smaller than this are left alone: Date has whole seconds and requests take time.</summary>
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(2);

    private long _offsetTicks;
    private int _warned;

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public override DateTimeOffset GetUtcNow() => local.GetUtcNow() + Offset;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        local.CreateTimer(callback, state, dueTime, period);

    public override long GetTimestamp() => local.GetTimestamp();

    public void Observe(DateTimeOffset serverTime)
    {
        var skew = serverTime - local.GetUtcNow();
        var offset = skew.Duration() < Tolerance ? TimeSpan.Zero : skew;
        Interlocked.Exchange(ref _offsetTicks, offset.Ticks);
        if (offset != TimeSpan.Zero && skew.Duration() > TimeSpan.FromSeconds(30) && Interlocked.Exchange(ref _warned, 1) == 0)
        {
            Log.Warn($"This machine's clock is {Math.Abs(skew.TotalSeconds):0} s {(skew > TimeSpan.Zero ? "behind" : "ahead of")} Stripe's: using Stripe's time for capture windows; fix the clock (NTP)");
        }
    }
}
