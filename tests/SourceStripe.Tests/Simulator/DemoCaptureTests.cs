using System.Diagnostics;
using SourceStripe.Simulator;
using SourceStripe.Streams;
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
        var expected = SourceStripe.Cli.DemoCapture.Expected(StreamCatalog.All, demo.ObjectCounts());
        foreach (var (stream, count) in expected)
        {
            output.WriteLine($"{stream} {count}");
        }

        ExpectedDocuments.AssertEveryStream(demo.Account, transcript.Documents);
        Assert.All(expected, c => Assert.True(c.Value > 0, $"the demo account has no {c.Key}"));
        Assert.Equal(expected.Sum(c => c.Value), transcript.Documents.Select(d => d.Document["id"]!.GetValue<string>()).Distinct().Count());
    }
}
