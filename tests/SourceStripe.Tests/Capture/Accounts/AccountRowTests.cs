using System.Text;
using System.Text.Json;
using SourceStripe.Capture;
using SourceStripe.Config;
using SourceStripe.Streams;
using Xunit.Abstractions;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>
/// An account's caught-up cursors in all its bindings as one row (<see cref="AccountRow"/>): what an account
/// costs in the state, and what a row keeps for a binding that has a range pending.
/// </summary>
public sealed class AccountRowTests(ITestOutputHelper output)
{
    /// <summary>What one message of Flow's runtime carries at most, and so the whole state, which arrives in <c>open</c>.</summary>
    private const long FlowMessageLimit = 64L * 1024 * 1024;

    [Fact]
    public void Each_field_is_written_against_the_same_field_of_the_column_before()
    {
        AccountState?[] columns =
        [
            new() { Cursor = 1_764_650_000, Events = 1_764_649_939, LastRun = 1_764_650_030 },
            new() { Cursor = 1_764_649_900, Events = 1_764_649_939, LastRun = 1_764_649_930 },
            null,
            new() { LastRun = 1_764_650_030, LastPass = 1_764_650_030 },
        ];
        var row = AccountRow.Encode(columns);
        // The second binding polled 100 s earlier: its cursor and lastRun both moved, only the cursor is written.
        Assert.Equal("t6mknk,t6mklv,u;-2s;!;x,x,t6mknk,0", row);
        AssertSame(columns, AccountRow.Decode(row));
    }

    [Fact]
    public void Rows_round_trip_absent_columns_absent_fields_and_large_differences()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 500; trial++)
        {
            var columns = Enumerable.Range(0, random.Next(0, 60)).Select(_ => random.Next(5) == 0 ? null : new AccountState
            {
                Cursor = Maybe(random, 1_000_000_000, 2_000_000_000),
                Events = Maybe(random, 1_700_000_000, 1_800_000_000),
                LastRun = Maybe(random, 1_764_000_000, 1_765_000_000),
                LastPass = Maybe(random, -5, 5),
            }).ToArray();
            var decoded = AccountRow.Decode(AccountRow.Encode(columns));
            // Trailing absent columns are left out; a state without any cursor is written as absent.
            AssertSame([.. columns.Select(c => c is { Cursor: null, Events: null, LastRun: null, LastPass: null } ? null : c)], decoded);
        }
    }

    [Theory]
    [InlineData("12:00")]
    [InlineData("1,2,3,4,5")]
    [InlineData("a;-")]
    [InlineData("zzzzzzzzzzzzzz")]
    public void A_row_that_is_not_one_is_refused(string row) => Assert.Throws<JsonException>(() => AccountRow.Decode(row));

    /// <summary>
    /// The README's figure: a caught-up account with discover's 48 streams, in its row (its id once) against
    /// the per-binding entries it replaced (its id in each of 48 bindings' states). Each binding polls at its own
    /// time within a 5-minute interval, which moves its cursor to that time less the 30 s list lag; the events
    /// cursor is the account's.
    /// </summary>
    [Fact]
    public void An_account_caught_up_in_48_streams_costs_a_few_hundred_bytes_and_100000_fit_one_message_of_Flow()
    {
        var random = new Random(11);
        var streams = StreamCatalog.EveryAccount;
        Assert.Equal(48, streams.Length);
        var rows = new Dictionary<string, string?>();
        long perBinding = 0;
        for (var i = 0; i < 1000; i++)
        {
            var id = $"acct_1Nv0FGQ9RK{i:D6}";
            var now = 1_764_650_000L + i;
            var columns = streams.Select(s => (Stream: s, Polled: now - random.Next(300))).Select(b => new AccountState
            {
                Cursor = b.Polled - 30,
                Events = b.Stream.ChangesFromEvents ? now - 61 : null,
                LastRun = b.Polled,
            }).ToArray();
            rows[id] = AccountRow.Encode(columns);
            perBinding += columns.Sum(c => Encoding.UTF8.GetByteCount($"\"{id}\":\"{AccountStateConverter.Encode(c)}\","));
        }
        var state = new CaptureState { Accounts = new AccountRows { Bindings = [.. streams.Select(s => AccountRows.Column(0, s.Name))], Rows = rows } };
        var perAccount = (Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(state, StateJson.Default.CaptureState)) - 1000.0) / 1000;
        output.WriteLine($"{perAccount:F0} bytes an account in its row; {perBinding / 1000.0:F0} in per-binding entries");
        Assert.InRange(perAccount, 100, 400);
        Assert.True(perAccount * 100_000 < FlowMessageLimit / 2, $"100,000 accounts take {perAccount * 100_000 / 1e6:F0} MB");
        Assert.True(perBinding / 1000.0 * 100_000 > FlowMessageLimit, "the per-binding entries it replaces did not fit");
    }

    [Fact]
    public void A_binding_with_a_range_pending_keeps_the_column_it_last_checkpointed()
    {
        var config = EndpointConfig.Parse(JsonDocument.Parse("""
            {"account_id":"acct_platform","client_secret":"sk_test_rows00000","start_date":"2020-01-01T00:00:00Z"}
            """).RootElement, new ConfigProblems(), DateTimeOffset.UtcNow)!;
        var context = new CaptureContext(config, null!, null!, TimeProvider.System, null!);
        BoundStream[] bindings =
        [
            new(0, "charges", StreamCatalog.Find("charges")!, SyncMode.Incremental, TimeSpan.FromMinutes(5), 0) { Column = 1 },
            new(1, "customers", StreamCatalog.Find("customers")!, SyncMode.Incremental, TimeSpan.FromMinutes(5), 0) { Column = 0 },
        ];
        var committed = AccountRow.Encode([new AccountState { Cursor = 500, LastRun = 510 }, new AccountState { Cursor = 100, LastRun = 110 }]);
        // charges is polling [40, 200): its cursor is already past what it has captured.
        var charges = new BindingState { Accounts = new() { ["acct_platform"] = new AccountState { Cursor = 200, LastRun = 210, Pending = { ["poll"] = new RangeState { Gte = 40, Lt = 200 } } } } };
        var account = new AccountCapture(context, "acct_platform", isPlatform: true, bindings, new EventRoutes(bindings),
            b => b.StateKey == "charges" ? charges : null, committed, _ => { });

        string row;
        lock (account.Gate)
        {
            row = account.Row();
        }
        var columns = AccountRow.Decode(row);
        Assert.Equal((100L, 110L), (columns[1]!.Cursor!.Value, columns[1]!.LastRun!.Value));
        Assert.Equal(500, columns[0]!.Cursor);
    }

    private static long? Maybe(Random random, long from, long to) => random.Next(4) == 0 ? null : random.NextInt64(from, to);

    private static void AssertSame(IReadOnlyList<AccountState?> expected, IReadOnlyList<AccountState?> actual)
    {
        var width = Math.Max(expected.Count, actual.Count);
        for (var i = 0; i < width; i++)
        {
            var e = i < expected.Count ? expected[i] : null;
            var a = i < actual.Count ? actual[i] : null;
            Assert.Equal((e?.Cursor, e?.Events, e?.LastRun, e?.LastPass), (a?.Cursor, a?.Events, a?.LastRun, a?.LastPass));
        }
    }
}
