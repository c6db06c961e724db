using SourceStripe.Capture.Events;
using SourceStripe.Capture.Reading;
using SourceStripe.Capture.Scheduling;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// When an account does what it does next: one timed entry in the scheduler for the earliest of its bindings'
/// next plans and its next events read, rather than one for each.
/// </summary>
public sealed partial class AccountCapture
{
    /// <summary>The time of the earliest wake the account has queued; null when it has none.</summary>
    private DateTimeOffset? _wakeDue;
    /// <summary>When the next events cycle starts; null while one runs, and when events are not read.</summary>
    private DateTimeOffset? _eventsDue;

    /// <summary>
    /// When binding <paramref name="index"/> plans its next range (<see cref="RangePlanner.PlanNext"/>): its interval
    /// after its last run; null while it has work, is set aside, or has planned once in a one-shot capture. Call
    /// under <see cref="Gate"/>.
    /// </summary>
    private DateTimeOffset? PlanDue(int index, DateTimeOffset now)
    {
        if (!IsActive || IsSkipped(index) || (Context.StopWhenCaughtUp && (_planned & Bit(index)) != 0))
        {
            return null;
        }
        long? lastRun;
        if (_live?[index] is { } live)
        {
            if (!live.AwaitsPlan)
            {
                return null;
            }
            lastRun = live.State.LastRun;
        }
        else
        {
            lastRun = StoredLastRun(index);
        }
        return lastRun is { } run && !Context.StopWhenCaughtUp ? DateTimeOffset.FromUnixTimeSeconds(run) + _streams[index].Interval : now;
    }

    /// <summary>Queues a wake for the earliest of the account's next plans and events read, unless one at or before it is queued.</summary>
    internal void ScheduleWake()
    {
        DateTimeOffset due;
        lock (_lock)
        {
            var now = Context.Clock.GetUtcNow();
            var next = _eventsDue;
            for (var i = 0; i < _streams.Count; i++)
            {
                if (PlanDue(i, now) is { } plan && (next is null || plan < next))
                {
                    next = plan;
                }
            }
            if (next is not { } earliest || (_wakeDue is { } queued && queued <= earliest))
            {
                return;
            }
            _wakeDue = due = earliest;
        }
        // Outside the gate: the scheduler asks accounts for splits under its own lock.
        Context.Scheduler.EnqueueAt(due, new Wake(this, due));
    }

    /// <summary>Plans each binding that is due and starts the events cycle if it is, then queues the next wake.</summary>
    private void Woken(DateTimeOffset due)
    {
        List<AccountBinding>? planned = null;
        var readEvents = false;
        lock (_lock)
        {
            if (_wakeDue == due)
            {
                _wakeDue = null;
            }
            var now = Context.Clock.GetUtcNow();
            for (var i = 0; i < _streams.Count; i++)
            {
                if (PlanDue(i, now) <= now)
                {
                    var binding = Binding(i);
                    _planned |= Bit(i);
                    binding.Plan();
                    (planned ??= []).Add(binding);
                }
            }
            if (_eventsDue <= now)
            {
                _eventsDue = null;
                readEvents = true;
            }
        }
        foreach (var binding in planned ?? [])
        {
            binding.Continue();
        }
        if (readEvents)
        {
            Context.Scheduler.Enqueue(new EventsReader(Context, _routes, this, repeat: true).Begin());
        }
        ScheduleWake();
    }

    /// <summary>A one-shot capture's last step: the account's events, once.</summary>
    public void ReadEventsOnce()
    {
        if (_routes.Listeners.Count > 0)
        {
            Context.Scheduler.Enqueue(new EventsReader(Context, _routes, this, repeat: false).Begin());
        }
    }

    /// <summary>
    /// An events cycle ended: Flow's capture reads them again after the interval (the shortest of the listening
    /// bindings', or the longer one while webhooks arrive).
    /// </summary>
    internal void EventsEnded(bool repeat)
    {
        if (!repeat)
        {
            return;
        }
        lock (_lock)
        {
            _eventsDue = Context.Clock.GetUtcNow() + Context.EventsInterval(_routes.Listeners.Min(b => b.Interval));
        }
        ScheduleWake();
    }

    /// <summary>The account's one timed entry: a unit of its own rather than a delegate and its closure, for the bytes.</summary>
    private sealed class Wake(AccountCapture account, DateTimeOffset due) : WorkUnit
    {
        public override bool IsBackfill => false;

        public override long Cursor => 0;

        public override string What => "the next reads" + account.Of;

        public override Task RunAsync(CancellationToken stop)
        {
            account.Woken(due);
            return Task.CompletedTask;
        }
    }
}
