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
    // UTC ticks, 0 for none: 8 bytes each where a DateTimeOffset? takes 24.
    private long _wakeDueTicks;
    private long _eventsDueTicks;

    /// <summary>The time of the earliest wake the account has queued; null when it has none.</summary>
    private DateTimeOffset? WakeDue { get => FromTicks(_wakeDueTicks); set => _wakeDueTicks = Ticks(value); }

    /// <summary>When the next events cycle starts; null while one runs, and when events are not read.</summary>
    private DateTimeOffset? EventsDue { get => FromTicks(_eventsDueTicks); set => _eventsDueTicks = Ticks(value); }

    private static DateTimeOffset? FromTicks(long ticks) => ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);

    private static long Ticks(DateTimeOffset? time) => time?.UtcTicks ?? 0;

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
        return lastRun is { } run && !Context.StopWhenCaughtUp ? DateTimeOffset.FromUnixTimeSeconds(run) + Streams[index].Interval : now;
    }

    /// <summary>Queues a wake for the earliest of the account's next plans and events read, unless one at or before it is queued.</summary>
    internal void ScheduleWake()
    {
        DateTimeOffset due;
        lock (Gate)
        {
            var now = Context.Clock.GetUtcNow();
            var next = EventsDue;
            for (var i = 0; i < Streams.Count; i++)
            {
                if (PlanDue(i, now) is { } plan && (next is null || plan < next))
                {
                    next = plan;
                }
            }
            if (next is not { } earliest || (WakeDue is { } queued && queued <= earliest))
            {
                return;
            }
            WakeDue = due = earliest;
        }
        // Outside the gate: the scheduler asks accounts for splits under its own lock.
        Context.Scheduler.EnqueueAt(due, new Wake(this, due));
    }

    /// <summary>Plans each binding that is due and starts the events cycle if it is, then queues the next wake.</summary>
    private void Woken(DateTimeOffset due)
    {
        List<AccountBinding>? planned = null;
        var readEvents = false;
        lock (Gate)
        {
            if (WakeDue == due)
            {
                WakeDue = null;
            }
            var now = Context.Clock.GetUtcNow();
            for (var i = 0; i < Streams.Count; i++)
            {
                if (PlanDue(i, now) <= now)
                {
                    var binding = Binding(i);
                    _planned |= Bit(i);
                    binding.Plan();
                    (planned ??= []).Add(binding);
                }
            }
            if (EventsDue <= now)
            {
                EventsDue = null;
                readEvents = true;
            }
        }
        foreach (var binding in planned ?? [])
        {
            binding.Continue();
        }
        if (readEvents)
        {
            Context.Scheduler.Enqueue(new EventsReader(Context, Routes, this, repeat: true).Begin());
        }
        ScheduleWake();
    }

    /// <summary>A one-shot capture's last step: the account's events, once.</summary>
    public void ReadEventsOnce()
    {
        if (Routes.Listeners.Count > 0)
        {
            Context.Scheduler.Enqueue(new EventsReader(Context, Routes, this, repeat: false).Begin());
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
        lock (Gate)
        {
            EventsDue = Context.Clock.GetUtcNow() + Context.EventsInterval(Routes.Listeners.Min(b => b.Interval));
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
