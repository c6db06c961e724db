using SourceStripe.Capture.Events;

namespace SourceStripe.Tests.Capture.Polls;

/// <summary>
/// Runs an <see cref="EventsPlan"/> on a clock of its own: starts every poll the plan gives when it gives it, ends each
/// a set time later, and jumps the clock to whichever comes next (the plan's next turn or a poll's end). Nothing waits
/// on real time; every start is recorded.
/// </summary>
public sealed class PlanRun
{
    public static readonly DateTimeOffset Origin = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly PriorityQueue<int, DateTimeOffset> _running = new();
    private readonly TimeSpan _pollTakes;
    private readonly List<DateTimeOffset> _added = [];

    public PlanRun(int accounts, TimeSpan gap, TimeSpan interval, TimeSpan pollTakes)
    {
        Plan = new EventsPlan(Origin, gap);
        Interval = interval;
        _pollTakes = pollTakes;
        for (var i = 0; i < accounts; i++)
        {
            Add();
        }
    }

    public EventsPlan Plan { get; }

    public DateTimeOffset Now { get; private set; } = Origin;

    public TimeSpan Interval { get; }

    /// <summary>Each account's poll starts, in order.</summary>
    public List<List<DateTimeOffset>> Starts { get; } = [];

    /// <summary>Every start, in order: (account, time).</summary>
    public List<(int Account, DateTimeOffset At)> Order { get; } = [];

    /// <summary>Whether an account's poll finds events (the account changed).</summary>
    public Func<int, bool> FindsEvents { get; set; } = _ => false;

    /// <summary>Accounts set aside: nothing to poll.</summary>
    public Predicate<int> Idle { get; set; } = _ => false;

    /// <summary>Adds an account now; returns its slot.</summary>
    public int Add()
    {
        var slot = Plan.Add(Now);
        Assert.Equal(Starts.Count, slot);
        Starts.Add([]);
        _added.Add(Now);
        return slot;
    }

    /// <summary>Runs until <paramref name="until"/>.</summary>
    public void RunUntil(DateTimeOffset until)
    {
        while (Now < until)
        {
            var slot = Plan.Next(Now, Interval, Idle, out var askAgain);
            if (slot >= 0)
            {
                Starts[slot].Add(Now);
                Order.Add((slot, Now));
                _running.Enqueue(slot, Now + _pollTakes);
                continue;
            }
            Assert.True(askAgain > Now, "the plan asked to be asked again without moving on");
            var next = askAgain;
            if (_running.TryPeek(out _, out var ends) && ends < next)
            {
                next = ends;
            }
            Now = next < until ? next : until;
            while (_running.TryPeek(out var done, out var at) && at <= Now)
            {
                _running.Dequeue();
                Plan.Ended(done, FindsEvents(done), Interval);
            }
        }
    }

    /// <summary>The longest <paramref name="account"/> went without a poll: from when it was added to its first, between two, from its last to now.</summary>
    public TimeSpan LongestWait(int account)
    {
        var longest = TimeSpan.Zero;
        var previous = _added[account];
        foreach (var start in Starts[account].Append(Now))
        {
            longest = start - previous > longest ? start - previous : longest;
            previous = start;
        }
        return longest;
    }

    /// <summary>The mean time between <paramref name="account"/>'s polls after its first.</summary>
    public TimeSpan MeanGap(int account)
    {
        var starts = Starts[account];
        return starts.Count < 2 ? TimeSpan.MaxValue : (starts[^1] - starts[0]) / (starts.Count - 1);
    }
}
