using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Streams;
using SourceStripe.Tests.Capture;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>Whole captures through the published NativeAOT binary against the simulator.</summary>
public sealed class CaptureEndToEndTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddYears(-3);

    private static bool AllBackfilled(CaptureTranscript t) => StreamCatalog.All.All(s => t.PendingRangesOverall(s.Name) == 0);

    [Fact]
    public async Task The_binary_captures_all_60_streams_and_exits_0_when_stdin_closes()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 11, ObjectsPerStream = 120 });
        await using var capture = await BinaryCapture.StartAsync(OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, OpenRequests.AllStreams()));
        await capture.WaitUntilAsync(AllBackfilled);
        Assert.Equal(0, await capture.StopAsync());
        Assert.Contains("stdin closed", capture.Stderr);

        for (var i = 0; i < StreamCatalog.All.Length; i++)
        {
            var stream = StreamCatalog.All[i].Name;
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, stream), ExpectedDocuments.Captured(capture.Transcript.CommittedDocuments, i), stream);
        }
        // Pages of 100: a stream of 120 objects takes a few list requests, not one per object. A range is
        // split only after a page that said more follow, once per such page, so however busy the machine:
        // its first page, perhaps one split, and a page for each part.
        Assert.InRange(stripe.Requests.Count(r => r.Path == "/v1/charges"), 2, 4);
    }

    /// <summary>
    /// Kills the binary at random points of a full capture and restarts it from the checkpoints the runtime
    /// would have committed. Only committed documents count, as in Flow.
    /// </summary>
    [Fact]
    public async Task Killed_at_random_points_and_resumed_the_capture_loses_nothing_and_rereads_little()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 5, ObjectsPerStream = 250 });
        var open = (JsonNode? state) => OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, OpenRequests.AllStreams(), state);

        // A reference run, uninterrupted, to know the capture's length.
        int referenceLines;
        await using (var reference = await BinaryCapture.StartAsync(open(null)))
        {
            await reference.WaitUntilAsync(AllBackfilled);
            await reference.StopAsync();
            referenceLines = reference.Transcript.LineCount;
        }
        stripe.ClearRequests();

        var (union, kills, runs) = await KillAndResume.RunAsync(open, kills: 25, maxLinesBeforeKill: referenceLines / 20, seed: 20261126);
        Assert.True(kills >= 20, $"only {kills} kills");
        for (var i = 0; i < StreamCatalog.All.Length; i++)
        {
            var stream = StreamCatalog.All[i].Name;
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, stream), ExpectedDocuments.Captured(union, i), stream);
        }
        // A restart reads again only the pages in flight when it was killed (at most one per worker, and
        // a child page each): a request answered more often than that means progress was lost. (A request
        // Stripe's limits refused was not read: its retry is no reread.)
        var repeats = stripe.Requests.Where(r => r.Status != 429).GroupBy(r => r.Path + "?" + r.QueryString).Sum(g => g.Count() - 1);
        Assert.True(repeats <= kills * 2 * 32, $"{repeats} repeated requests over {kills} kills");
    }
}
