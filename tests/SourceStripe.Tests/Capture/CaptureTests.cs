using SourceStripe.Simulator;

namespace SourceStripe.Tests.Capture;

/// <summary>Captures through the production protocol handler over loopback HTTP to the simulator.</summary>
public sealed class CaptureTests
{
    [Fact]
    public async Task A_capture_of_all_60_streams_yields_exactly_the_accounts_objects()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 7, ObjectsPerStream = 30 });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-5), OpenRequests.AllStreams());
        var transcript = await InProcessCapture.BackfillEveryStreamAsync(open);
        ExpectedDocuments.AssertEveryStream(stripe.Account, transcript.Documents);
    }
}
