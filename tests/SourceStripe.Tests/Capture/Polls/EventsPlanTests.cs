using Xunit.Abstractions;

namespace SourceStripe.Tests.Capture.Polls;

/// <summary>
/// The order of the accounts' events polls when the capture cannot afford to poll every account every interval: 2,000
/// accounts at one poll a second take 33 minutes to go round, against a 5-minute interval.
/// </summary>
public sealed class EventsPlanTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Gap = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PollTakes = TimeSpan.FromMilliseconds(400);
    private const int Accounts = 2000;

    [Fact]
    public void The_bound_is_the_time_three_quarters_of_the_rate_take_to_poll_every_account_or_the_interval_when_longer()
    {
        var many = new PlanRun(Accounts, Gap, Interval, PollTakes);
        Assert.InRange(many.Plan.Bound(Interval).TotalSeconds, (Accounts * 4.0 / 3) + 3 - 0.001, (Accounts * 4.0 / 3) + 3 + 0.001);
        var few = new PlanRun(100, Gap, Interval, PollTakes);
        Assert.Equal(Interval + TimeSpan.FromSeconds(3), few.Plan.Bound(Interval));
    }

    [Fact]
    public void With_more_accounts_than_the_rate_covers_every_account_is_polled_within_the_bound_and_one_that_changed_every_interval()
    {
        // One account in 40 changes all the time: its polls always find events.
        var (run, changed, idle) = RunThreeBounds(changesEvery: 40);

        // Changed accounts come round at their interval (a few gaps late at most: the accounts at their bound go first).
        Assert.All(changed, a => Assert.All(Waits(run, a), wait => Assert.InRange(wait, Interval - TimeSpan.FromSeconds(0.1), Interval + (5 * Gap))));
        // Idle ones take their turn, no sooner than the rate left to them allows.
        Assert.All(idle, a => Assert.True(run.MeanGap(a) > 4 * Interval, $"idle account {a} polled every {run.MeanGap(a)}"));
    }

    [Fact]
    public void Accounts_changing_beyond_what_the_rate_allows_still_leave_every_account_polled_within_the_bound()
    {
        // A quarter of the accounts change all the time: polled every interval they alone would need 1.7 polls a second.
        var (run, changed, idle) = RunThreeBounds(changesEvery: 4);

        // They get the quarter of the rate left to prompt accounts on top of their turns: polled sooner than idle ones all the same.
        Assert.True(changed.Average(a => run.MeanGap(a).TotalSeconds) < idle.Average(a => run.MeanGap(a).TotalSeconds) * 0.8);
    }

    /// <summary>
    /// Runs 2,000 accounts for three bounds, every <paramref name="changesEvery"/>-th one finding events at each poll, and
    /// asserts what holds whatever changes: no account waited longer than the bound, and polls kept to the rate.
    /// </summary>
    private (PlanRun Run, List<int> Changed, List<int> Idle) RunThreeBounds(int changesEvery)
    {
        var run = new PlanRun(Accounts, Gap, Interval, PollTakes) { FindsEvents = a => a % changesEvery == 0 };
        var bound = run.Plan.Bound(Interval);
        run.RunUntil(PlanRun.Origin + (3 * bound));

        var changed = Enumerable.Range(0, Accounts).Where(a => a % changesEvery == 0).ToList();
        var idle = Enumerable.Range(0, Accounts).Where(a => a % changesEvery != 0).ToList();
        output.WriteLine($"bound {bound.TotalSeconds:0} s; longest wait {Enumerable.Range(0, Accounts).Max(run.LongestWait).TotalSeconds:0.0} s; "
            + $"idle accounts every {idle.Average(a => run.MeanGap(a).TotalSeconds):0} s on average, changed ones every {changed.Average(a => run.MeanGap(a).TotalSeconds):0.0} s");
        Assert.All(Enumerable.Range(0, Accounts), a => Assert.True(run.LongestWait(a) <= bound, $"account {a} waited {run.LongestWait(a)}, over the bound {bound}"));
        AssertPaced(run);
        return (run, changed, idle);
    }

    [Fact]
    public void An_account_a_webhook_names_is_polled_before_any_other_account_that_has_not_reached_its_bound()
    {
        var run = new PlanRun(Accounts, Gap, Interval, PollTakes);
        var bound = run.Plan.Bound(Interval);
        run.RunUntil(PlanRun.Origin + bound);
        // An account polled more than an interval ago, far from its bound: without a webhook it would wait half an hour more.
        var named = Enumerable.Range(0, Accounts).First(a => run.Now - run.Starts[a][^1] is var age && age > 2 * Interval && age < bound / 2);
        var namedAt = run.Now;
        Assert.True(run.Plan.Named(named, Interval) <= namedAt);
        var before = run.Order.Count;

        run.RunUntil(namedAt + TimeSpan.FromSeconds(10));

        var after = run.Order.Skip(before).ToList();
        var position = after.FindIndex(p => p.Account == named);
        output.WriteLine($"named account polled {(after[position].At - namedAt).TotalSeconds:0.0} s after the webhook, {position} poll(s) ahead of it");
        Assert.InRange(position, 0, 2);
        // Only accounts whose bound had come went before it.
        var deadline = bound - (3 * Gap) - TimeSpan.FromSeconds(0.1);
        Assert.All(after.Take(position), p => Assert.True(p.At - Previous(run, p.Account, p.At) >= deadline));
    }

    [Fact]
    public void An_account_added_later_has_its_first_poll_at_once()
    {
        var run = new PlanRun(Accounts, Gap, Interval, PollTakes);
        run.RunUntil(PlanRun.Origin + TimeSpan.FromHours(1));
        var added = run.Add();
        var addedAt = run.Now;

        run.RunUntil(addedAt + TimeSpan.FromSeconds(10));

        Assert.NotEmpty(run.Starts[added]);
        Assert.True(run.Starts[added][0] - addedAt <= 3 * Gap);
    }

    [Fact]
    public void Accounts_set_aside_leave_the_rate_to_the_others_which_are_then_polled_every_interval()
    {
        // 1,900 of 2,000 accounts set aside: the 100 left fit in the rate.
        var run = new PlanRun(Accounts, Gap, Interval, PollTakes) { Idle = a => a >= 100 };
        run.RunUntil(PlanRun.Origin + TimeSpan.FromHours(2));

        Assert.All(Enumerable.Range(100, Accounts - 100), a => Assert.Empty(run.Starts[a]));
        Assert.All(Enumerable.Range(0, 100), a => Assert.True(run.LongestWait(a) <= Interval + (5 * Gap), $"account {a} waited {run.LongestWait(a)}"));
    }

    [Fact]
    public void With_fewer_accounts_than_the_rate_covers_each_is_polled_once_an_interval_no_more()
    {
        var run = new PlanRun(100, Gap, Interval, PollTakes);
        run.RunUntil(PlanRun.Origin + TimeSpan.FromHours(2));

        Assert.All(Enumerable.Range(0, 100), a =>
        {
            Assert.All(Waits(run, a), wait => Assert.InRange(wait, Interval - TimeSpan.FromSeconds(0.1), Interval + (2 * Gap)));
            Assert.InRange(run.Starts[a].Count, 23, 25);
        });
        AssertPaced(run);
    }

    /// <summary>The times between an account's polls.</summary>
    private static List<TimeSpan> Waits(PlanRun run, int account) =>
        [.. run.Starts[account].Zip(run.Starts[account].Skip(1), (a, b) => b - a)];

    /// <summary>The account's poll before the one at <paramref name="at"/>, or when it was added.</summary>
    private static DateTimeOffset Previous(PlanRun run, int account, DateTimeOffset at) =>
        run.Starts[account].LastOrDefault(s => s < at, PlanRun.Origin);

    /// <summary>Polls start at the rate at most: in any minute, no more than a minute's gaps (and the one a late turn may catch up).</summary>
    private static void AssertPaced(PlanRun run)
    {
        var starts = run.Order.Select(p => p.At).ToList();
        for (int i = 0, j = 0; i < starts.Count; i++)
        {
            while (starts[i] - starts[j] >= TimeSpan.FromMinutes(1))
            {
                j++;
            }
            Assert.True(i - j + 1 <= 61, $"{i - j + 1} polls started within a minute at {starts[i]}");
        }
    }
}
