using SourceStripe.Capture.Events;
using SourceStripe.Capture.Reading;
using SourceStripe.Capture.Scheduling;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// When an account does what it does next: one timed entry in the scheduler for the earliest of its bindings' next
/// plans, rather than one for each. Its events polls are the capture's <see cref="EventsPlanner"/>'s to time.
/// </summary>
public sealed partial class AccountCapture
{
    /// <summary>
    /// Whole seconds from <see cref="Epoch"/>, <see cref="Absent"/> for none: 4 bytes where a DateTimeOffset? takes 24
    /// (and the account's fields fit in 64 bytes). A wake is queued for the due time rounded up, never early.
    /// </summary>
    private int _wakeDue = Absent;

    /// <summary>The account's number in the capture's <see cref="EventsPlanner"/>, its slot in the plan of events polls; -1 before it is added.</summary>
    internal int EventsSlot { get; set; } = -1;

    /// <summary>The time of the earliest wake the account has queued; null when it has none.</summary>
    private DateTimeOffset? WakeDue
    {
        get => _wakeDue == Absent ? null : DateTimeOffset.FromUnixTimeSeconds(Epoch + _wakeDue);
        set => _wakeDue = value is { } due ? (int)Math.Clamp(WholeSecondAtOrAfter(due) - Epoch, int.MinValue + 1, int.MaxValue) : Absent;
    }

    private static long WholeSecondAtOrAfter(DateTimeOffset time) =>
        time.ToUnixTimeSeconds() + (time.UtcTicks % TimeSpan.TicksPerSecond == 0 ? 0 : 1);

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

    /// <summary>Queues a wake for the earliest of the account's next plans, unless one at or before it is queued.</summary>
    internal void ScheduleWake()
    {
        DateTimeOffset due;
        lock (Gate)
        {
            var now = Context.Clock.GetUtcNow();
            DateTimeOffset? next = null;
            for (var i = 0; i < Streams.Count; i++)
            {
                if (PlanDue(i, now) is { } plan && (next is null || plan < next))
                {
                    next = plan;
                }
            }
            if (next is not { } earliest)
            {
                return;
            }
            due = DateTimeOffset.FromUnixTimeSeconds(WholeSecondAtOrAfter(earliest));
            if (WakeDue is { } queued && queued <= due)
            {
                return;
            }
            WakeDue = due;
        }
        // Outside the gate: the scheduler asks accounts for splits under its own lock.
        Context.Scheduler.EnqueueAt(due, new Wake(this, due));
    }

    /// <summary>Plans each binding that is due, then queues the next wake.</summary>
    private void Woken(DateTimeOffset due)
    {
        List<AccountBinding>? planned = null;
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
        }
        foreach (var binding in planned ?? [])
        {
            binding.Continue();
        }
        ScheduleWake();
    }

    /// <summary>A one-shot capture's last step: the account's events, once.</summary>
    public void ReadEventsOnce()
    {
        if (Routes.Listeners.Count > 0)
        {
            Context.Scheduler.Enqueue(new EventsReader(Context, Routes, this, planner: null).Begin());
        }
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
