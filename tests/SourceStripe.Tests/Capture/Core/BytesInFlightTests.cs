using System.Numerics;
using System.Text.Json;
using SourceStripe.Buffers;
using SourceStripe.Simulator;
using Xunit.Abstractions;

namespace SourceStripe.Tests.Capture.Core;

/// <summary>A capture whose pages come back at once holds about its buffers' limit in bytes, however many units run.</summary>
public sealed class BytesInFlightTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_backfill_without_latency_holds_little_more_than_its_limit_and_captures_everything()
    {
        string[] streams = ["charges", "invoices", "customers"];
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            ObjectsPerStream = 0,
            ObjectCounts = streams.ToDictionary(s => s, _ => 1500),
            // As fast as the machine allows: pages arrive faster than they are written.
            RateLimits = null,
        });
        const int limit = 4 * 1024 * 1024;
        var memory = new MemoryBudget(limit);
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-3), streams.Select(s => new OpenRequests.Binding(s)),
            advanced: new() { ["max_requests_per_second"] = 1000, ["max_requests_per_second_per_endpoint"] = 1000 });
        await using var capture = await InProcessCapture.StartAsync(open, memory: memory);
        await capture.WaitUntilAsync(t => streams.All(s => t.PendingRanges(s) == 0), TimeSpan.FromMinutes(5));
        Assert.Equal(0, await capture.StopAsync());
        for (var i = 0; i < streams.Length; i++)
        {
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, streams[i]), ExpectedDocuments.Captured(capture.Transcript.Documents, i), streams[i]);
        }

        // The largest page the simulator serves (invoices with their lines: about 2 MB), in the buffer it takes:
        // every page of each stream, as the capture read them, not only the first.
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new("Bearer", "sk_live_simulator");
        var largest = 0;
        foreach (var stream in streams)
        {
            string? after = null;
            do
            {
                var body = await http.GetByteArrayAsync(new Uri(stripe.BaseUrl, $"/v1/{stream}?limit=100{(after is null ? "" : "&starting_after=" + after)}"));
                largest = Math.Max(largest, body.Length);
                using var list = JsonDocument.Parse(body);
                var data = list.RootElement.GetProperty("data");
                after = list.RootElement.GetProperty("has_more").GetBoolean() ? data[data.GetArrayLength() - 1].GetProperty("id").GetString() : null;
            }
            while (after is not null);
        }
        var page = (long)BitOperations.RoundUpToPowerOf2((uint)largest);
        output.WriteLine($"peak held {memory.Peak / 1024} KiB against a limit of {limit / 1024} KiB; largest page {largest / 1024} KiB");
        // The last body let in below the limit and its lines, and a page larger than its kind's last one (the
        // first of a kind is guessed): without the wait for room, the units' pages took 20 MiB here.
        Assert.InRange(memory.Peak, 0, limit + (3 * page));
    }
}
