using System.Text.Json.Nodes;
using SourceStripe.Capture.Accounts;
using SourceStripe.Simulator;
using static SourceStripe.Tests.Capture.Accounts.ConnectedCaptures;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>Shards of a capture of connected accounts: each captures the accounts its key range owns, and no other.</summary>
public sealed class ShardTests
{
    public static readonly (uint, uint) Lower = (0, 0x7fffffff);
    public static readonly (uint, uint) Upper = (0x80000000, uint.MaxValue);

    public static bool Owns((uint Begin, uint End) range, string account) => new KeyRange(range.Begin, range.End).Owns(account);

    [Fact]
    public async Task Two_shards_with_halves_of_the_range_capture_disjoint_accounts_whose_union_is_the_one_shard_capture()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 5));
        var accounts = AllAccounts(stripe);
        var lower = accounts.Where(a => Owns(Lower, a)).ToList();
        var upper = accounts.Where(a => Owns(Upper, a)).ToList();
        Assert.NotEmpty(lower);
        Assert.NotEmpty(upper);

        var whole = await CaptureAsync(stripe, null, accounts);
        var first = await CaptureAsync(stripe, Lower, lower);
        var second = await CaptureAsync(stripe, Upper, upper);

        // Each shard read and wrote only its own accounts, requests included.
        AssertAccounts(stripe, lower, first.Documents);
        AssertAccounts(stripe, upper, second.Documents);
        AssertOnlyOwn(first.Requests, lower);
        AssertOnlyOwn(second.Requests, upper);
        Assert.Equal(
            whole.Documents.Select(d => d.Document.ToJsonString()).Order(),
            first.Documents.Concat(second.Documents).Select(d => d.Document.ToJsonString()).Order());
    }

    [Fact]
    public async Task A_shard_whose_backfill_counter_rose_clears_only_its_own_accounts_entries()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 5));
        var accounts = AllAccounts(stripe);
        var whole = await CaptureAsync(stripe, null, accounts);

        var open = JsonNode.Parse(Open(stripe, whole.State, Lower))!;
        open["open"]!["capture"]!["bindings"]![0]!["backfill"] = 1;
        await using var capture = await InProcessCapture.StartAsync(open.ToJsonString(), initialState: whole.State);
        await capture.WaitUntilAsync(t => t.Checkpoints > 0);
        await capture.StopAsync();
        var state = capture.Transcript.State;
        // The counter has a column of its own in the rows; the old one is dropped, its place kept for the rows written before.
        var columns = CaptureTranscript.Read(state).Bindings;
        Assert.Null(columns[0]);
        Assert.Equal(new SourceStripe.State.StateColumn("customers", 1, false), columns[^1]);
        foreach (var account in accounts.Where(a => !Owns(Lower, a)))
        {
            // The other shard's entries and rows are as they were.
            Assert.True(JsonNode.DeepEquals(whole.State["pending"]?["customers"]?[account], state["pending"]?["customers"]?[account]), account);
            Assert.NotNull(state["accounts"]![account]);
            Assert.True(JsonNode.DeepEquals(whole.State["accounts"]![account], state["accounts"]![account]), account);
        }
    }

    /// <summary>
    /// Every request was for an account the shard owns, but for those every shard makes of the platform: the
    /// list of its accounts and its events of accounts coming and going.
    /// </summary>
    private static void AssertOnlyOwn(IReadOnlyList<RecordedRequest> requests, IReadOnlyList<string> owned) =>
        Assert.All(requests, r => Assert.True(owned.Contains(r.StripeAccount!) || (r.StripeAccount == Platform && r.Path is "/v1/accounts" or "/v1/events"),
            $"{r.StripeAccount} {r.Path}"));

    private sealed record Run(IReadOnlyList<(int Binding, JsonObject Document)> Documents, IReadOnlyList<RecordedRequest> Requests, JsonNode State);

    private static async Task<Run> CaptureAsync(StripeSimulator stripe, (uint, uint)? range, IReadOnlyList<string> accounts)
    {
        stripe.ClearRequests();
        await using var capture = await InProcessCapture.StartAsync(Open(stripe, range: range));
        await capture.WaitUntilAsync(CaughtUp(accounts));
        Assert.Equal(0, await capture.StopAsync());
        // The last version of each object: events may repeat a document, and the runs end at different times.
        var last = capture.Transcript.CommittedDocuments
            .GroupBy(d => (d.Binding, Id: d.Document["id"]!.GetValue<string>()))
            .Select(g => g.Last())
            .ToList();
        return new Run(last, stripe.Requests, capture.Transcript.State);
    }
}
