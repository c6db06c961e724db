using Microsoft.Extensions.Time.Testing;

namespace SourceStripe.Tests.Capture.Limiter;

/// <summary>
/// A fake clock stepped by the test, that counts the timers made from it and their callbacks (a limiter
/// that polled would show as callbacks far beyond its releases), and can hold callbacks back the way a busy
/// thread pool makes a timer fire late.
/// </summary>
internal sealed class LimiterClock : TimeProvider
{
    private readonly FakeTimeProvider _fake = new(DateTimeOffset.UnixEpoch.AddDays(20000));
    private readonly List<(TimerCallback Callback, object? State)> _held = [];

    public int Timers { get; private set; }

    public int Callbacks { get; private set; }

    /// <summary>While true, timer callbacks wait for <see cref="FireHeld"/>.</summary>
    public bool Hold { get; set; }

    public long Milliseconds => (_fake.GetTimestamp() / TimeSpan.TicksPerMillisecond) - Start;

    private long Start { get; } = DateTimeOffset.UnixEpoch.AddDays(20000).Ticks / TimeSpan.TicksPerMillisecond;

    public override long GetTimestamp() => _fake.GetTimestamp();

    public override long TimestampFrequency => _fake.TimestampFrequency;

    public override DateTimeOffset GetUtcNow() => _fake.GetUtcNow();

    public void Advance(TimeSpan by) => _fake.Advance(by);

    /// <summary>Steps one millisecond.</summary>
    public void Tick() => _fake.Advance(TimeSpan.FromMilliseconds(1));

    public void FireHeld()
    {
        var held = _held.ToList();
        _held.Clear();
        foreach (var (callback, state) in held)
        {
            Callbacks++;
            callback(state);
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Timers++;
        return _fake.CreateTimer(s =>
        {
            if (Hold)
            {
                _held.Add((callback, s));
                return;
            }
            Callbacks++;
            callback(s);
        }, state, dueTime, period);
    }
}
