using System.Text.Json.Nodes;
using SourceStripe.Streams;
using SourceStripe.Tests.Capture;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>
/// Runs the binary on a full capture, killing it at random points and restarting it from the
/// checkpoints the runtime would have committed, until a run finishes every backfill. Only committed
/// documents count, as in Flow.
/// </summary>
public static class KillAndResume
{
    public sealed record Outcome(IReadOnlyList<(int Binding, JsonObject Document)> Committed, int Kills, int Runs);


    /// <param name="open">The open request for a state.</param>
    /// <param name="kills">How many runs to kill before letting one finish.</param>
    /// <param name="maxLinesBeforeKill">Each killed run is killed after a random number of stdout lines up to this.</param>
    /// <param name="seed">Seeds the kill points, so a failure can be replayed.</param>
    /// <param name="done">When a run has finished its work: by default, when every stream's backfill is done.</param>
    public static async Task<Outcome> RunAsync(Func<JsonNode?, string> open, int kills, int maxLinesBeforeKill, int seed, Func<CaptureTranscript, bool>? done = null)
    {
        var isDone = done ?? AllBackfilled;
        var random = new Random(seed);
        JsonNode state = new JsonObject();
        var committed = new List<(int Binding, JsonObject Document)>();
        var killed = 0;
        var runs = 0;
        while (true)
        {
            runs++;
            var killAt = killed < kills ? random.Next(1, Math.Max(2, maxLinesBeforeKill)) : int.MaxValue;
            await using var capture = await BinaryCapture.StartAsync(open(state), state, t => t.LineCount >= killAt);
            var finished = false;
            try
            {
                await capture.WaitUntilAsync(t => isDone(t) || t.LineCount >= killAt, TimeSpan.FromSeconds(120));
                finished = isDone(capture.Transcript) && capture.Transcript.LineCount < killAt;
            }
            catch (Xunit.Sdk.FailException)
            {
                // Killed before the condition could be seen: that is the point.
            }
            if (finished)
            {
                Assert.Equal(0, await capture.StopAsync());
            }
            else
            {
                capture.Kill();
                await capture.WaitForExitAsync(TimeSpan.FromMinutes(1));
                killed++;
            }
            committed.AddRange(capture.Transcript.CommittedDocuments);
            state = capture.Transcript.State;
            if (finished)
            {
                return new Outcome(committed, killed, runs);
            }
            Assert.True(runs < kills * 4 + 50, $"the capture did not finish after {runs} runs");
        }
    }

    private static bool AllBackfilled(CaptureTranscript t) => StreamCatalog.All.All(s => t.PendingRangesOverall(s.Name) == 0);
}
