using System.Text;
using System.Text.Json;
using SourceStripe.Capture;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>
/// An account's cursors in a binding's state: one short string while nothing is pending (the usual state
/// of an account that has caught up), an object while a range is pending, and every older shape still read.
/// </summary>
public sealed class CompactStateTests
{
    private const string AccountId = "acct_1Nv0FGQ9RKHgCVdK";

    [Fact]
    public void A_caught_up_incremental_account_is_one_string_of_its_cursor_and_differences()
    {
        var state = new AccountState { Cursor = 1_764_650_000, Events = 1_764_649_939, LastRun = 1_764_650_030 };
        Assert.Equal("\"1764650000,-61,30\"", Write(state));
        var read = Read("\"1764650000,-61,30\"");
        Assert.Equal((1_764_650_000L, 1_764_649_939L, 1_764_650_030L), (read.Cursor!.Value, read.Events!.Value, read.LastRun!.Value));
        Assert.Null(read.LastPass);
        Assert.Empty(read.Pending);
    }

    [Fact]
    public void A_full_refresh_account_leaves_its_absent_cursors_empty()
    {
        var state = new AccountState { LastRun = 1_764_650_030, LastPass = 1_764_650_030 };
        Assert.Equal("\",,1764650030,0\"", Write(state));
        var read = Read(Write(state));
        Assert.Equal((null, null, 1_764_650_030L, 1_764_650_030L), (read.Cursor, read.Events, read.LastRun, read.LastPass));
    }

    [Fact]
    public void Finished_ranges_need_no_nulls_in_the_string_since_it_replaces_the_whole_object()
    {
        var state = new AccountState { Cursor = 100, Pending = { ["poll"] = null } };
        Assert.Equal("\"100\"", Write(state));
    }

    [Fact]
    public void An_account_with_a_pending_range_is_written_as_an_object_and_read_back()
    {
        var state = new AccountState { Cursor = 200, Events = 150, LastRun = 210, Pending = { ["backfill"] = new RangeState { Gte = 10, Lt = 200, After = "ch_1", AfterCreated = 90 }, ["backfill@1"] = null } };
        var json = Write(state);
        Assert.Equal("""{"cursor":200,"events":150,"pending":{"backfill":{"gte":10,"lt":200,"after":"ch_1","afterCreated":90},"backfill@1":null},"lastRun":210}""", json);
        var read = Read(json);
        Assert.Equal("ch_1", read.Pending["backfill"]!.After);
        Assert.Equal((200L, 150L, 210L), (read.Cursor!.Value, read.Events!.Value, read.LastRun!.Value));
    }

    [Fact]
    public void The_object_shape_written_before_the_string_is_still_read()
    {
        var read = Read("""{"cursor":1700000000,"events":1699999000,"pending":{},"lastRun":1700000100}""");
        Assert.Equal((1_700_000_000L, 1_699_999_000L, 1_700_000_100L), (read.Cursor!.Value, read.Events!.Value, read.LastRun!.Value));
        // And the unkeyed shape of before per-account state, carried over to the platform only.
        var binding = JsonSerializer.Deserialize("""{"backfill":0,"cursor":5,"pending":{}}""", StateJson.Default.BindingState)!;
        Assert.Equal(5, binding.Take("acct_platform", isPlatform: true)!.Cursor);
        Assert.Null(binding.Take("acct_other", isPlatform: false));
    }

    [Fact]
    public void A_string_that_is_not_the_compact_shape_is_refused()
    {
        Assert.Throws<JsonException>(() => Read("\"yesterday\""));
        Assert.Throws<JsonException>(() => Read("\"1,2,3,4,5\""));
        Assert.Throws<JsonException>(() => Read("5"));
    }

    /// <summary>
    /// What an account cost in the state of one binding, caught up, before rows (<see cref="AccountRowTests"/>):
    /// its entry in <c>accounts</c> (the quoted id, the compact string and a comma), still read.
    /// </summary>
    [Fact]
    public void A_caught_up_account_costs_about_45_bytes_a_binding()
    {
        var accounts = new Dictionary<string, AccountState?>();
        for (var i = 0; i < 1000; i++)
        {
            var cursor = 1_764_650_000L + i;
            accounts[$"acct_1Nv0FGQ9RK{i:D6}"] = new AccountState { Cursor = cursor, Events = cursor - 61, LastRun = cursor + 30 };
        }
        var bytes = Encoding.UTF8.GetByteCount(JsonSerializer.Serialize(new BindingState { Accounts = accounts }, StateJson.Default.BindingState));
        var perAccount = bytes / 1000.0;
        Assert.InRange(perAccount, 40, 46);
        // The object shape it replaces cost more than twice as much.
        var before = $"\"{AccountId}\":{{\"cursor\":1764650000,\"events\":1764649939,\"pending\":{{}},\"lastRun\":1764650030}},";
        Assert.True(before.Length > 2 * perAccount, $"{before.Length} bytes before");
    }

    private static string Write(AccountState state) => JsonSerializer.Serialize(state, StateJson.Default.AccountState);

    private static AccountState Read(string json) => JsonSerializer.Deserialize(json, StateJson.Default.AccountState)!;
}
