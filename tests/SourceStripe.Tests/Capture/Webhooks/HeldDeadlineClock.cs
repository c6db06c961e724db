using SourceStripe.Capture.Events;

namespace SourceStripe.Tests.Capture.Webhooks;

/// <summary>
/// The system's clock, except that timers of <see cref="WebhookInbox.AnswerWithin"/> (a delivery's deadline) fire only
/// when the test says: the deadline passes at a known moment instead of after ten real seconds.
/// </summary>
public sealed class HeldDeadlineClock : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<HeldTimer> _held = [];

    public int Held
    {
        get { lock (_lock) { return _held.Count; } }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (dueTime != WebhookInbox.AnswerWithin)
        {
            return System.CreateTimer(callback, state, dueTime, period);
        }
        var timer = new HeldTimer(callback, state);
        lock (_lock)
        {
            _held.Add(timer);
        }
        return timer;
    }

    /// <summary>Every deadline held so far passes now.</summary>
    public void PassDeadlines()
    {
        List<HeldTimer> due;
        lock (_lock)
        {
            due = [.. _held];
            _held.Clear();
        }
        foreach (var timer in due)
        {
            timer.Fire();
        }
    }

    private sealed class HeldTimer(TimerCallback callback, object? state) : ITimer
    {
        private bool _disposed;

        public void Fire()
        {
            if (!_disposed)
            {
                callback(state);
            }
        }

        public bool Change(TimeSpan dueTime, TimeSpan period) => !_disposed;

        public void Dispose() => _disposed = true;

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
