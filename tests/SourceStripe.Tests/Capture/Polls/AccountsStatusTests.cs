using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using SourceStripe.Capture;
using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Events;
using SourceStripe.Capture.Reading;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Config;
using SourceStripe.State;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Capture.Polls;

/// <summary>The status line's figures, from accounts as the capture holds them (their slots and bindings), on a fake clock.</summary>
public sealed class AccountsStatusTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_status_counts_accounts_caught_up_backfilling_and_set_aside_and_gives_the_oldest_lag_among_those_caught_up()
    {
        var (planner, clock, add) = Capture();
        var now = Now.ToUnixTimeSeconds();
        // Whole minutes: an account's row keeps its times to the minute.
        add("acct_a", [Caught(now - 180), Caught(now - 60)], null);
        add("acct_b", [Caught(now - 420), Caught(now - 60)], null);
        add("acct_c", [Caught(now - 60), Caught(now - 60)], null);
        // Backfilling customers: its events, read up to when the backfill began, wait for it and are not the polls' lag.
        add("acct_d", [Caught(now - 60), Caught(now - 60)], new AccountState { Cursor = now - 5000, Events = now - 5000, LastRun = now - 5000, Pending = { [RangePlanner.BackfillKey] = new RangeState { Gte = 0, Lt = now - 5000 } } });
        // Never started: its first backfill is ahead of it.
        add("acct_e", null, null);
        add("acct_f", [Caught(now - 9000), Caught(now - 9000)], null).Disconnect("Stripe answered 403");

        var status = planner.Status();

        Assert.Equal((3, 2, 1), (status.CaughtUp, status.Backfilling, status.SetAside));
        Assert.Equal(TimeSpan.FromMinutes(7), status.OldestLag);
        Assert.Equal("acct_b", status.OldestAccount);
        Assert.Equal(planner.Bound, status.PollBound);
        Assert.StartsWith("6 accounts: 3 caught up, 2 backfilling, 1 set aside; events read up to 7 min ago at the oldest (acct_b); every account's events polled at least every 5 min",
            status.Message, StringComparison.Ordinal);

        // Nothing polled meanwhile: the lag grows with the clock.
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(TimeSpan.FromMinutes(8), planner.Status().OldestLag);
    }

    [Fact]
    public void The_bound_the_status_states_grows_with_the_accounts_once_the_rate_cannot_poll_each_every_interval()
    {
        var (planner, _, add) = Capture();
        Assert.Equal(25, planner.RequestsPerSecond);
        for (var i = 0; i < 20_000; i++)
        {
            add($"acct_{i:D16}", null, null);
        }
        // One request a poll at 25 a second, three quarters of them going round: 20,000 accounts in 1,067 s.
        Assert.InRange(planner.Bound.TotalSeconds, 1066, 1067);
        Assert.Contains("every account's events polled at least every 17 min 47 s", planner.Status().Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(45, "45 s")]
    [InlineData(400, "6 min 40 s")]
    [InlineData(4020, "1 h 7 min")]
    [InlineData(3600, "1 h")]
    [InlineData((2 * 86_400) + (3 * 3600) + 59, "2 d 3 h")]
    public void Durations_read_as_a_person_says_them(int seconds, string said) => Assert.Equal(said, AccountsStatus.Say(TimeSpan.FromSeconds(seconds)));

    private static AccountState Caught(long events) => new() { Cursor = events, Events = events, LastRun = events };

    /// <summary>A capture of customers and charges on a fake clock, and how to add an account from its row's states (null: none) and a pending customers entry.</summary>
    private static (EventsPlanner Planner, FakeTimeProvider Clock, Func<string, AccountState[]?, AccountState?, AccountCapture> Add) Capture()
    {
        var config = EndpointConfig.Parse(JsonDocument.Parse("""
            {"account_id":"acct_platform","client_secret":"sk_live_status00","start_date":"2020-01-01T00:00:00Z","capture_connected_accounts":true}
            """).RootElement, new ConfigProblems(), Now)!;
        var bindings = new[] { StreamCatalog.All.Single(s => s.Name == "customers"), StreamCatalog.All.Single(s => s.Name == "charges") }
            .Select((s, i) => new BoundStream(i, s.Name, s, SyncMode.Incremental, TimeSpan.FromMinutes(5), 0) { ColumnIndex = i }).ToList();
        StateColumn?[] columns = [.. bindings.Select(b => b.Column)];
        var clock = new FakeTimeProvider(Now);
        var context = new CaptureContext(config, null!, null!, clock, new WorkScheduler(clock)) { Columns = columns };
        var routes = new EventRoutes(bindings);
        var shared = new SharedByAccounts(context, bindings, routes, _ => { });
        var planner = new EventsPlanner(context, routes);
        return (planner, clock, (id, states, pendingCustomers) =>
        {
            var account = new AccountCapture(shared, id, isPlatform: false, b => b.Index == 0 ? pendingCustomers : null, states is null ? null : AccountRow.From(states, columns));
            planner.Add(account);
            return account;
        }
        );
    }
}
