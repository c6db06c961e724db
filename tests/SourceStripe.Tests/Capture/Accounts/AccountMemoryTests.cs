using System.Text.Json;
using SourceStripe.Capture;
using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Events;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Config;
using SourceStripe.State;
using SourceStripe.Streams;
using Xunit.Abstractions;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>
/// What an account the capture holds costs in memory between its reads, for the README's figure: the account
/// started against a scheduler and planned by the events planner, so what it has queued for its next poll and what
/// the planner keeps to time its events polls are counted with it. The
/// heap is measured before and after, so the test runs alone: another test's allocations meanwhile counted as
/// the accounts' (19 KB an account measured once in a parallel run).
/// </summary>
[Collection(nameof(AccountMemoryTests))]
public sealed class AccountMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void An_idle_account_costs_at_most_1_KB_of_memory_its_next_reads_included_with_the_48_streams_discover_enables_or_all_60()
    {
        var perAccount = IdleAccountBytes(StreamCatalog.EveryAccount);
        var all = IdleAccountBytes(StreamCatalog.All);

        output.WriteLine($"{perAccount:N0} bytes an idle account with {StreamCatalog.EveryAccount.Length} bindings ({perAccount * 100_000 / 1e6:N0} MB for 100,000 accounts)");
        output.WriteLine($"{all:N0} bytes an idle account with {StreamCatalog.All.Length} bindings ({all * 100_000 / 1e6:N0} MB for 100,000 accounts)");
        Assert.Equal(48, StreamCatalog.EveryAccount.Length);
        Assert.InRange(perAccount, 1, 1024);
        Assert.InRange(all, perAccount, 1024);
    }

    /// <summary>Bytes an account bound to <paramref name="streams"/> takes once started, every binding caught up and waiting for its next poll.</summary>
    private static long IdleAccountBytes(IReadOnlyList<StreamDescriptor> streams)
    {
        var config = EndpointConfig.Parse(JsonDocument.Parse("""
            {"account_id":"acct_platform","client_secret":"sk_test_memory00","start_date":"2020-01-01T00:00:00Z","capture_connected_accounts":true}
            """).RootElement, new ConfigProblems(), DateTimeOffset.UtcNow)!;
        var bindings = streams.Select((s, i) => new BoundStream(i, s.Name, s, s.DefaultSyncMode, TimeSpan.FromMinutes(5), 0) { ColumnIndex = i }).ToList();
        StateColumn?[] columns = [.. bindings.Select(b => b.Column)];
        var scheduler = new WorkScheduler(TimeProvider.System);
        var context = new CaptureContext(config, null!, null!, TimeProvider.System, scheduler) { Columns = columns };
        var routes = new EventRoutes(bindings);
        var shared = new SharedByAccounts(context, bindings, routes, _ => { });
        const int count = 2000;
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        // What the capture keeps for each account to time its events polls is counted with it.
        var planner = new EventsPlanner(context, routes);
        // The state as open reads it: each account's row, every binding caught up (nothing pending) and polled a little while ago.
        var rows = Enumerable.Range(0, count).Select(i => AccountRow.From(
            [.. bindings.Select(b => new AccountState { Cursor = now - 60 + i - (b.Index * 3600), Events = now - 61, LastRun = now - 30 + i, LastPass = now - 30 + i })], columns)).ToList();
        var accounts = new List<AccountCapture>(count);
        for (var i = 0; i < count; i++)
        {
            var account = new AccountCapture(shared, $"acct_{i:D16}", isPlatform: false, _ => null, rows[i]);
            // Nothing is due: the account folds its bindings and queues its next poll, with no await.
            Assert.True(account.StartAsync(CancellationToken.None).IsCompletedSuccessfully);
            planner.Add(account);
            accounts.Add(account);
        }
        rows.Clear();
        var perAccount = (GC.GetTotalMemory(forceFullCollection: true) - before) / count;
        GC.KeepAlive(accounts);
        GC.KeepAlive(scheduler);
        GC.KeepAlive(planner);
        return perAccount;
    }
}

[CollectionDefinition(nameof(AccountMemoryTests), DisableParallelization = true)]
public sealed class AccountMemoryTestsRunAlone;
