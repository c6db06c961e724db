using SourceStripe.Simulator;

namespace SourceStripe.Tests.Capture;

public sealed class RateLimitTests
{
    /// <summary>
    /// A whole capture of an account whose history is mostly charges, against the simulator's two limits (100 a
    /// second for the key, 25 for each endpoint): every document arrives, and the capture's requests are paced
    /// to both, 429s a small share, where a client pacing only the key's 100 meets endpoint 429s on most of its
    /// charges requests once the other streams are done. The exact shares and rates are asserted on a fake clock
    /// (EndpointBudgetTests, PacingTests): here they would depend on how a loaded machine bunches requests.
    /// </summary>
    [Fact]
    public async Task A_capture_of_an_account_mostly_of_charges_is_paced_to_the_keys_limit_and_each_endpoints()
    {
        string[] streams = ["charges", "customers", "invoices", "refunds", "payment_intents", "invoice_line_items"];
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 8,
            ObjectsPerStream = 150,
            ObjectCounts = new Dictionary<string, int> { ["charges"] = 4000 },
        });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-3), streams.Select(s => new OpenRequests.Binding(s)));
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => streams.All(s => t.PendingRanges(s) == 0), TimeSpan.FromMinutes(5));
        Assert.Equal(0, await capture.StopAsync());

        var requests = stripe.Requests;
        var charges = requests.Where(r => r.Endpoint == "GET /v1/charges").ToList();
        var throttled = requests.Count(r => r.Status == 429);
        Assert.True(charges.Count > 40, $"only {charges.Count} requests for charges: the test proves nothing");
        Assert.True(throttled <= requests.Count / 10, $"{throttled} of {requests.Count} requests were throttled ({requests.Count(r => r.RateLimitedReason == RateLimitReasons.EndpointRate)} by an endpoint)");
        ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, "charges"), ExpectedDocuments.Captured(capture.Transcript.Documents, 0), "charges");
    }
}
