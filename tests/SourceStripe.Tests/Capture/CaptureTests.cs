using SourceStripe.Simulator;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Capture;

/// <summary>Captures through the production protocol handler over loopback HTTP to the simulator.</summary>
public sealed class CaptureTests
{
    [Fact]
    public async Task A_capture_of_all_22_streams_yields_exactly_the_accounts_objects()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 7, ObjectsPerStream = 30 });
        var start = DateTimeOffset.UtcNow.AddYears(-5);
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_test_simulator", start, OpenRequests.AllStreams());
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => StreamCatalog.All.All(s => t.PendingRanges(s.Name) == 0));
        Assert.Equal(0, await capture.StopAsync());

        var documents = capture.Transcript.Documents;
        for (var i = 0; i < StreamCatalog.All.Length; i++)
        {
            var stream = StreamCatalog.All[i].Name;
            var expected = ExpectedDocuments.For(stripe, stream);
            Assert.NotEmpty(expected);
            ExpectedDocuments.AssertSame(expected, ExpectedDocuments.Captured(documents, i), stream);
        }
    }
}
