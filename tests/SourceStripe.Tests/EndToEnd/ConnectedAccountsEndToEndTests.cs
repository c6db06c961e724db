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
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, bindings, connected: true, advanced: new JsonObject { ["event_lag_seconds"] = 0 });
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

    [Fact]
    public async Task Validate_and_open_name_the_option_when_the_account_is_no_Connect_platform_and_validate_passes_on_one()
    {
        await using (var platform = await StripeSimulator.StartAsync(Options(connected: 1)))
        {
            var run = await PublishedConnector.RunAsync(Validate(platform.BaseUrl));
            Assert.True(run.ExitCode == 0, run.Stderr);
        }

        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 2, MissingFeatures = new HashSet<AccountFeature> { AccountFeature.Connect } });
        var validate = await PublishedConnector.RunAsync(Validate(stripe.BaseUrl));
        Assert.Equal(1, validate.ExitCode);
        Assert.StartsWith("Invalid configuration: config.capture_connected_accounts: is true, but Stripe refused to list the platform's connected accounts (403 for GET /v1/accounts: Only Stripe Connect platforms",
            validate.LastLog["msg"]!.GetValue<string>());
        Assert.EndsWith("the account must be a Connect platform and the key needs Read access to Connect's accounts, otherwise set capture_connected_accounts to false",
            validate.LastLog["msg"]!.GetValue<string>());

        // stdin stays open, as Flow keeps it: the capture ends on its own, with the error.
        await using var open = await BinaryCapture.StartAsync(Open(stripe));
        await open.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, open.ExitCode);
        var last = JsonNode.Parse(open.Stderr.Trim().Split('\n')[^1])!;
        Assert.StartsWith("config.capture_connected_accounts is true, but Stripe refused to list the platform's connected accounts (403 for GET /v1/accounts",
            last["msg"]!.GetValue<string>());
    }

    private static string Validate(Uri baseUrl)
    {
        var open = JsonNode.Parse(OpenAt(baseUrl))!["open"]!["capture"]!;
        return new JsonObject
        {
            ["validate"] = new JsonObject
            {
                ["name"] = "acmeCo/source-stripe",
                ["connectorType"] = "IMAGE",
                ["config"] = open["config"]!.DeepClone(),
                ["bindings"] = new JsonArray(open["bindings"]!.AsArray().Select(b => (JsonNode?)new JsonObject
                {
                    ["resourceConfig"] = b!["resourceConfig"]!.DeepClone(),
                    ["collection"] = b["collection"]!.DeepClone(),
                    ["backfill"] = 0,
                }).ToArray()),
            },
        }.ToJsonString();
    }

    private static string OpenAt(Uri baseUrl) =>
        OpenRequests.Open(baseUrl, "sk_live_simulator", Start, Bindings, connected: true);
}
