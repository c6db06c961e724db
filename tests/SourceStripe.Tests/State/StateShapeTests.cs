using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Capture;
using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Events;
using SourceStripe.Config;
using SourceStripe.State;
using SourceStripe.Streams;
using Xunit.Abstractions;

namespace SourceStripe.Tests.State;

/// <summary>The state's one shape: an account's row, what it costs, and what a row keeps while a range is pending.</summary>
public sealed class StateShapeTests(ITestOutputHelper output)
{
    /// <summary>What one message of Flow's runtime carries at most, and so the whole state, which arrives in <c>open</c>.</summary>
    private const long FlowMessageLimit = 64L * 1024 * 1024;

    private static readonly StateColumn Charges = new("charges", 0, FullRefresh: false);
    private static readonly StateColumn Customers = new("customers", 0, FullRefresh: false);
    private static readonly StateColumn Products = new("products", 0, FullRefresh: true);

    [Fact]
    public void A_row_is_one_base_time_and_plain_minutes_before_it()
    {
        StateColumn?[] columns = [Charges, Customers, null, Products];
        AccountState?[] states =
        [
            new() { Cursor = 1_764_650_030, Events = 1_764_649_990, LastRun = 1_764_650_060 },
            new() { Cursor = 1_764_649_930, Events = 1_764_649_990, LastRun = 1_764_649_960 },
            null,
            new() { LastRun = 1_764_560_000, LastPass = 1_764_560_000 },
        ];
        var row = AccountRow.From(states, columns)!;
        Assert.Equal("""{"base":1764650040,"events":1,"run":1501,"at":"1,2,,1501"}""", Json(row));
        var charges = row.StateOf(0, Charges)!;
        var products = row.StateOf(3, Products)!;
        // Rounded down to the minute: a poll re-reads a few seconds more, an events read re-applies a few events.
        Assert.Equal((1_764_649_980L, 1_764_649_980L, 1_764_559_980L), (charges.Cursor!.Value, charges.Events!.Value, charges.LastRun!.Value));
        Assert.Equal(1_764_649_920L, row.StateOf(1, Customers)!.Cursor);
        Assert.Equal((1_764_559_980L, 1_764_559_980L), (products.LastPass!.Value, products.LastRun!.Value));
        Assert.Null(row.StateOf(2, Charges));
        Assert.Null(row.StateOf(9, Charges));
    }

    [Fact]
    public void A_row_read_back_is_never_later_than_what_was_written_and_a_minute_earlier_at_most()
    {
        var random = new Random(7);
        for (var trial = 0; trial < 500; trial++)
        {
            var columns = Enumerable.Range(0, random.Next(1, 60)).Select(i => random.Next(6) == 0 ? null : new StateColumn($"s{i}", 0, random.Next(4) == 0)).ToArray();
            var states = columns.Select(c => c is null || random.Next(5) == 0 ? null : c.FullRefresh
                ? new AccountState { LastPass = random.NextInt64(1_700_000_000, 1_765_000_000) }
                : new AccountState { Cursor = random.NextInt64(1_700_000_000, 1_765_000_000), Events = random.NextInt64(1_760_000_000, 1_765_000_000), LastRun = random.NextInt64(1_760_000_000, 1_765_000_000) }).ToArray();
            var row = AccountRow.From(states, columns);
            var read = row is null ? null : AccountRow.Read(JsonDocument.Parse(Json(row)).RootElement)!;
            for (var c = 0; c < columns.Length; c++)
            {
                var written = states[c];
                var back = columns[c] is { } column ? read?.StateOf(c, column) : null;
                var value = columns[c]?.FullRefresh == true ? written?.LastPass : written?.Cursor;
                if (value is null)
                {
                    Assert.Null(back);
                    continue;
                }
                var restored = columns[c]!.FullRefresh ? back!.LastPass!.Value : back!.Cursor!.Value;
                Assert.InRange(value.Value - restored, 0, 59);
            }
        }
    }

    /// <summary>
    /// The README's figure: an account caught up in every one of the 60 streams, each polled at its own time within
    /// a 5-minute interval (its cursor that time less the 30 s list lag), the events applied up to a minute ago.
    /// </summary>
    [Fact]
    public void An_account_caught_up_in_60_streams_costs_at_most_256_bytes_and_100000_fit_in_32_MiB()
    {
        var random = new Random(11);
        var streams = StreamCatalog.All;
        Assert.Equal(60, streams.Length);
        StateColumn?[] columns = [.. streams.Select(s => new StateColumn(s.Name, 0, s.DefaultSyncMode == SyncMode.FullRefresh))];
        var patch = new StatePatch().Bindings(columns);
        for (var i = 0; i < 1000; i++)
        {
            var now = 1_764_650_000L + (i * 7);
            var states = streams.Select(s => (Stream: s, Polled: now - random.Next(300))).Select(b => b.Stream.DefaultSyncMode == SyncMode.FullRefresh
                ? new AccountState { LastPass = now - random.Next(86_400), LastRun = b.Polled }
                : new AccountState { Cursor = b.Polled - 30, Events = b.Stream.ChangesFromEvents ? now - 61 : null, LastRun = b.Polled }).ToArray();
            patch.Row($"acct_1Nv0FGQ9RK{i:D6}", AccountRow.From(states, columns));
        }
        var empty = new StatePatch().Bindings(columns).ToArray().Length;
        var perAccount = (patch.ToArray().Length - empty) / 1000.0;
        output.WriteLine($"{perAccount:F0} bytes an account");
        Assert.InRange(perAccount, 100, 256);
        Assert.True(perAccount * 100_000 <= 32 * 1024 * 1024, $"100,000 accounts take {perAccount * 100_000 / 1e6:F0} MB");
        Assert.True(perAccount * 100_000 < FlowMessageLimit / 2);
    }

    [Fact]
    public void A_binding_with_a_range_pending_keeps_the_column_it_last_checkpointed()
    {
        var config = EndpointConfig.Parse(JsonDocument.Parse("""
            {"account_id":"acct_platform","client_secret":"sk_test_rows00000","start_date":"2020-01-01T00:00:00Z"}
            """).RootElement, new ConfigProblems(), DateTimeOffset.UtcNow)!;
        StateColumn?[] layout = [Customers, Charges];
        var context = new CaptureContext(config, null!, null!, TimeProvider.System, null!) { Columns = layout };
        BoundStream[] bindings =
        [
            new(0, "charges", StreamCatalog.Find("charges")!, SyncMode.Incremental, TimeSpan.FromMinutes(5), 0) { ColumnIndex = 1 },
            new(1, "customers", StreamCatalog.Find("customers")!, SyncMode.Incremental, TimeSpan.FromMinutes(5), 0) { ColumnIndex = 0 },
        ];
        var committed = AccountRow.From([new AccountState { Cursor = 6000, LastRun = 6000 }, new AccountState { Cursor = 30000, LastRun = 6000 }], layout);
        // charges is polling [24000, 36000): its cursor is already past what it has captured.
        var pending = new AccountState { Cursor = 36000, LastRun = 36060, Pending = { ["poll"] = new RangeState { Gte = 24000, Lt = 36000 } } };
        var account = new AccountCapture(new SharedByAccounts(context, bindings, new EventRoutes(bindings), _ => { }), "acct_platform", isPlatform: true,
            b => b.StateKey == "charges" ? pending : null, committed);

        AccountRow row;
        lock (account.Gate)
        {
            row = account.Row()!;
        }
        Assert.Equal(30000, row.StateOf(1, Charges)!.Cursor);
        Assert.Equal(6000, row.StateOf(0, Customers)!.Cursor);
    }

    [Fact]
    public void A_state_reads_back_as_its_patches_wrote_it()
    {
        StateColumn?[] columns = [Charges, null, Products];
        var progress = new AccountState { Cursor = 200, Events = 150, LastRun = 210, Pending = { ["backfill"] = new RangeState { Gte = 10, Lt = 200, After = "ch_1", AfterCreated = 90, Child = new ChildPosition("in_1", "il_2") } } };
        var row = AccountRow.From([new AccountState { Cursor = 1_764_650_000, LastRun = 1_764_650_030 }, null, new AccountState { LastPass = 1_764_600_000 }], columns)!;
        var state = JsonNode.Parse(new StatePatch().Bindings(columns).Row("acct_1", row).Pending("charges", "acct_2", progress).ToArray())!;

        var read = StateReader.ReadWritten(state);
        Assert.Equal(columns, read.Bindings);
        Assert.Equal(Json(row), Json(read.Accounts["acct_1"]));
        var range = read.Pending["charges"]["acct_2"].Pending["backfill"]!;
        Assert.Equal((10L, 200L, "ch_1", 90L, new ChildPosition("in_1", "il_2")), (range.Gte, range.Lt, range.After, range.AfterCreated!.Value, range.Child));
        Assert.Equal([("acct_2", 200L), ("acct_1", 1_764_649_980L)], read.ProgressOf("charges").Select(p => (p.Account, p.State.Cursor!.Value)));
    }

    private static string Json(AccountRow row)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            row.Write(json);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
