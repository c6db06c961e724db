using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Tests.Capture;
using SourceStripe.Tests.Capture.Accounts;
using static SourceStripe.Tests.Capture.Accounts.ConnectedCaptures;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>A Connect platform and its connected accounts captured by the published binary, killed, resumed and split.</summary>
public sealed class ConnectedAccountsEndToEndTests
{
    [Fact]
    public async Task Killed_at_random_points_and_resumed_every_accounts_documents_equal_the_simulators()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 4, seed: 21, objects: 40));
        var accounts = AllAccounts(stripe);
        var (union, kills, _) = await KillAndResume.RunAsync(state => Open(stripe, state), kills: 8, maxLinesBeforeKill: 150, seed: 20261202,
            done: CaughtUp(accounts));
        Assert.True(kills >= 8, $"only {kills} kills");
        AssertAccounts(stripe, accounts, union);
    }

    [Fact]
    public async Task A_one_shard_capture_killed_mid_backfill_and_reopened_as_two_half_range_shards_loses_nothing()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 5, seed: 22, objects: 150));
        var accounts = AllAccounts(stripe);
        var lower = accounts.Where(a => ShardTests.Owns(ShardTests.Lower, a)).ToList();
        var upper = accounts.Where(a => ShardTests.Owns(ShardTests.Upper, a)).ToList();
        Assert.NotEmpty(lower);
        Assert.NotEmpty(upper);

        var committed = new List<(int Binding, JsonObject Document)>();
        JsonNode parent;
        await using (var whole = await BinaryCapture.StartAsync(Open(stripe), killWhen: t => t.Checkpoints >= 25))
        {
            await whole.WaitForExitAsync(TimeSpan.FromMinutes(2));
            committed.AddRange(whole.Transcript.CommittedDocuments);
            parent = whole.Transcript.State;
        }
        Assert.False(CaughtUp(accounts)(new CaptureTranscript(parent)), "the one-shard capture finished before it was killed");

        // Both halves open with the parent's last state, as Flow opens the shards of a split.
        foreach (var (range, owned) in new[] { (ShardTests.Lower, lower), (ShardTests.Upper, upper) })
        {
            await using var shard = await BinaryCapture.StartAsync(Open(stripe, parent, range), parent);
            await shard.WaitUntilAsync(CaughtUp(owned));
            Assert.Equal(0, await shard.StopAsync());
            Assert.All(shard.Transcript.Documents, d => Assert.Contains(d.Document["account_id"]!.GetValue<string>(), owned));
            committed.AddRange(shard.Transcript.CommittedDocuments);
        }
        AssertAccounts(stripe, accounts, committed);
    }

    [Fact]
    public async Task Accounts_the_key_cannot_read_or_that_disconnect_are_skipped_with_one_warning_and_the_others_captured()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 3, seed: 23));
        var accounts = AllAccounts(stripe);
        var (forbidden, leaving) = (accounts[1], accounts[2]);
        stripe.ForbidAccount(forbidden);
        var bindings = Bindings.Append(new OpenRequests.Binding("accounts", Interval: "PT1S"));
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_test_simulator", Start, bindings, connected: true, advanced: new JsonObject { ["event_lag_seconds"] = 0 });
        await using var capture = await BinaryCapture.StartAsync(open);
        string[] readable = [Platform, leaving, accounts[3]];
        await capture.WaitUntilAsync(CaughtUp(readable));

        stripe.DisconnectAccount(leaving);
        var staying = stripe.AccountFor(accounts[3]).Objects("customers").First().Id;
        stripe.On(accounts[3]).Update("customers", staying, c => c["description"] = "still captured");
        await capture.WaitUntilAsync(t => t.Documents.Any(d => d.Document["description"]?.GetValue<string>() == "still captured"));
        // A few more cycles for the disconnected account to be refused again, quietly.
        await capture.WaitUntilAsync(t => stripe.Requests.Count(r => r.StripeAccount == leaving && r.Status == 403) >= 2);
        Assert.Equal(0, await capture.StopAsync());

        AssertAccounts(stripe, [Platform, accounts[3]], [.. capture.Transcript.CommittedDocuments.Where(d => d.Binding < ConnectedCaptures.Streams.Length
            && d.Document["account_id"]!.GetValue<string>() is var account && account != leaving && account != forbidden)]);
        Assert.DoesNotContain(capture.Transcript.Documents, d => d.Document["account_id"]!.GetValue<string>() == forbidden);
        var stderr = capture.Stderr.Split('\n');
        Assert.Single(stderr, l => l.Contains("\"warn\"") && l.Contains($"Skipping connected account {forbidden}"));
        Assert.Single(stderr, l => l.Contains("\"warn\"") && l.Contains($"Skipping connected account {leaving}"));
        // A connected account is no platform: its own accounts list is skipped once, not a failure.
        Assert.Single(stderr, l => l.Contains($"Skipping accounts of {accounts[3]}: it needs"));
    }
}
