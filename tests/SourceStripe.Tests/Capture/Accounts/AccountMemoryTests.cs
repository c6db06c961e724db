using System.Text.Json;
using SourceStripe.Capture;
using SourceStripe.Config;
using SourceStripe.State;
using SourceStripe.Streams;
using Xunit.Abstractions;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>
/// What an account the capture holds costs in memory, for the README's figure. The heap is measured before
/// and after, so the test runs alone: another test's allocations meanwhile counted as the accounts' (19 KB
/// an account measured once in a parallel run).
/// </summary>
[Collection(nameof(AccountMemoryTests))]
public sealed class AccountMemoryTests(ITestOutputHelper output)
{
    [Fact]
    public void A_caught_up_account_with_the_48_streams_discover_enables_costs_under_8_KB_of_memory_state_included()
    {
        var config = EndpointConfig.Parse(JsonDocument.Parse("""
            {"account_id":"acct_platform","client_secret":"sk_test_memory00","start_date":"2020-01-01T00:00:00Z","capture_connected_accounts":true}
            """).RootElement, new ConfigProblems(), DateTimeOffset.UtcNow)!;
        var bindings = StreamCatalog.EveryAccount.Select((s, i) => new BoundStream(i, s.Name, s, s.DefaultSyncMode, TimeSpan.FromMinutes(5), 0) { ColumnIndex = i }).ToList();
        StateColumn?[] columns = [.. bindings.Select(b => b.Column)];
        var context = new CaptureContext(config, null!, null!, TimeProvider.System, null!) { Columns = columns };
        var routes = new EventRoutes(bindings);
        const int count = 2000;
        var before = GC.GetTotalMemory(forceFullCollection: true);
        // The state as open reads it: each account's row, every binding caught up (nothing pending).
        var rows = Enumerable.Range(0, count).Select(i => AccountRow.From(
            [.. bindings.Select(b => new AccountState { Cursor = 1_764_650_000 + i - (b.Index * 3600), Events = 1_764_649_939 + i, LastRun = 1_764_650_030 + i, LastPass = 1_764_650_030 + i })], columns)).ToList();
        var accounts = Enumerable.Range(0, count)
            .Select(i => new AccountCapture(context, $"acct_{i:D16}", isPlatform: false, bindings, routes, _ => null, rows[i], _ => { }))
            .ToList();
        rows.Clear();
        var perAccount = (GC.GetTotalMemory(forceFullCollection: true) - before) / count;
        GC.KeepAlive(accounts);

        output.WriteLine($"{perAccount:N0} bytes an account with {bindings.Count} bindings");
        Assert.Equal(48, bindings.Count);
        Assert.InRange(perAccount, 1, 8 * 1024);
    }
}

[CollectionDefinition(nameof(AccountMemoryTests), DisableParallelization = true)]
public sealed class AccountMemoryTestsRunAlone;
