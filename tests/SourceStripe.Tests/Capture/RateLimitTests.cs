using SourceStripe.Simulator;

namespace SourceStripe.Tests.Capture;

public sealed class RateLimitTests
{
    /// <summary>
    /// A whole capture against the simulator's 40/s: every document arrives, and the capture's requests
    /// are paced by the limiter (429s a small share, where unpaced requests at the simulator's speed would
    /// meet mostly 429s). The exact share and the rate used are asserted on a fake clock (PacingTests):
    /// here they would depend on how a loaded machine bunches requests in flight.
    /// </summary>
    [Fact]
    public async Task A_capture_at_the_accounts_limit_captures_everything_paced_by_the_limiter()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 8, ObjectsPerStream = 500 });
        stripe.RateLimits = new RateLimits { GlobalPerSecond = 40, EndpointPerSecond = 40 };
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_test_simulator", DateTimeOffset.UtcNow.AddYears(-3),
            [new("charges"), new("customers"), new("invoices"), new("refunds"), new("payment_intents"), new("invoice_line_items")],
            advanced: new System.Text.Json.Nodes.JsonObject { ["max_requests_per_second"] = 40 });
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => new[] { "charges", "customers", "invoices", "refunds", "payment_intents", "invoice_line_items" }.All(s => t.PendingRanges(s) == 0), TimeSpan.FromMinutes(5));
        Assert.Equal(0, await capture.StopAsync());

        var requests = stripe.Requests;
        var throttled = requests.Count(r => r.Status == 429);
        Assert.True(requests.Count > 40, $"only {requests.Count} requests: the test proves nothing");
        Assert.True(throttled <= requests.Count / 10, $"{throttled} of {requests.Count} requests were throttled");
        ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, "charges"), ExpectedDocuments.Captured(capture.Transcript.Documents, 0), "charges");
    }
}
