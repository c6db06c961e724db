using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Tests.Capture;

namespace SourceStripe.Tests.EndToEnd;

public sealed class EventRetentionEndToEndTests
{
    /// <summary>A capture paused for longer than Stripe keeps events backfills again, and says why.</summary>
    [Fact]
    public async Task An_events_cursor_older_than_30_days_rebackfills_the_binding_with_a_warning()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 140 });
        var start = DateTimeOffset.UtcNow.AddYears(-3);
        OpenRequests.Binding[] bindings = [new("customers", Interval: "PT1S"), new("balance_transactions", Interval: "PT1S")];

        await using var first = await InProcessCapture.StartAsync(OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", start, bindings));
        await first.WaitUntilAsync(t => t.PendingRanges("customers") == 0 && t.PendingRanges("balance_transactions") == 0);
        Assert.Equal(0, await first.StopAsync());

        // As if the capture had been paused for 31 days.
        var state = first.Transcript.State;
        var paused = DateTimeOffset.UtcNow.AddDays(-31).ToUnixTimeSeconds();
        CaptureTranscript.Account(state, "customers")!["events"] = paused;
        CaptureTranscript.Account(state, "customers")!["cursor"] = paused;

        await using var resumed = await BinaryCapture.StartAsync(OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", start, bindings, state), state);
        await resumed.WaitUntilAsync(t => t.PendingRanges("customers") == 0 && CaptureTranscript.Account(t.State, "customers")!["events"]!.GetValue<long>() > paused);
        Assert.Equal(0, await resumed.StopAsync());

        var warning = resumed.Stderr.Split('\n').Select(l => l.Length > 0 ? JsonNode.Parse(l) : null)
            .Single(l => l?["level"]?.GetValue<string>() == "warn" && l["msg"]!.GetValue<string>().Contains("30 days"));
        Assert.Contains("backfilling customers again", warning!["msg"]!.GetValue<string>());
        ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, "customers"), ExpectedDocuments.Captured(resumed.Transcript.CommittedDocuments, 0), "customers");
        // Only that binding starts over: balance transactions (no events) keep their progress.
        Assert.DoesNotContain(resumed.Transcript.Documents, d => d.Binding == 1);
    }
}
