using SourceStripe.Simulator;
using SourceStripe.Streams;
using SourceStripe.Tests.Capture;
using SourceStripe.Tests.EndToEnd;

namespace SourceStripe.Tests.Faults;

public sealed class SoakTests
{
    /// <summary>
    /// 100 random kill points across a full capture of the published binary while Stripe faults one
    /// request in twenty (every kind): the union of committed documents is exactly the account.
    /// </summary>
    [Fact]
    [Trait("Category", "Soak")]
    public async Task One_hundred_kills_under_faults_lose_no_document()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 100, ObjectsPerStream = 220 });
        stripe.InjectRandomFaults(0.05, Fault.EveryKind(TimeSpan.FromSeconds(2)), seed: 100);
        var advanced = new System.Text.Json.Nodes.JsonObject { ["request_timeout_seconds"] = 1 };
        var open = (System.Text.Json.Nodes.JsonNode? state) =>
            OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-3), OpenRequests.AllStreams(), state, advanced: advanced);

        // The length of an uninterrupted capture, so the kill points spread over most of it.
        var reference = await KillAndResume.RunAsync(open, kills: 0, maxLinesBeforeKill: 1, seed: 0);
        var lines = reference.Committed.Count;
        var outcome = await KillAndResume.RunAsync(open, kills: 100, maxLinesBeforeKill: lines / 70, seed: 7);

        Assert.True(outcome.Kills >= 100, $"only {outcome.Kills} kills");
        Assert.True(stripe.RandomFaults > 50, $"only {stripe.RandomFaults} faults");
        for (var i = 0; i < StreamCatalog.All.Length; i++)
        {
            var stream = StreamCatalog.All[i].Name;
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, stream), ExpectedDocuments.Captured(outcome.Committed, i), stream);
        }
    }
}
