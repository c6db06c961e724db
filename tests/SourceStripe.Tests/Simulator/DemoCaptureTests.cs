using System.Diagnostics;
using SourceStripe.Simulator;
using SourceStripe.Tests.Capture;
using Xunit.Abstractions;

namespace SourceStripe.Tests.Simulator;

/// <summary>The demo's account, served by the binary's own loopback server, captured whole by the production handler.</summary>
public sealed class DemoCaptureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_capture_of_all_60_streams_from_the_demo_account_yields_every_object_it_holds()
    {
        var clock = Stopwatch.StartNew();
        await using var demo = await DemoAccount.StartAsync();
        var generated = clock.Elapsed;
        var advanced = new System.Text.Json.Nodes.JsonObject { ["max_requests_per_second"] = 10_000 };
        var open = OpenRequests.Open(demo.BaseUrl, demo.SecretKey, demo.StartDate, OpenRequests.AllStreams(), account: demo.AccountId, advanced: advanced);
        var transcript = await InProcessCapture.BackfillEveryStreamAsync(open, TimeSpan.FromMinutes(5));
        output.WriteLine($"generated in {generated.TotalSeconds:F1} s, captured {transcript.Documents.Count} documents in {(clock.Elapsed - generated).TotalSeconds:F1} s");

        // Every stream exactly as the account holds it, none empty. The demo's own count of what the account holds,
        // by which `capture --demo` judges its run, is checked from the binary's output end to end
        // (TerminalCommandsEndToEndTests.The_demo_captures_every_object_of_its_account_in_under_a_minute).
        ExpectedDocuments.AssertEveryStream(demo.Account, transcript.Documents);
    }
}
