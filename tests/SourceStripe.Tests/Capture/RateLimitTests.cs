using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Time.Testing;
using SourceStripe.Simulator;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture;

public sealed class RateLimitTests
{
    /// <summary>
    /// A whole capture of an account whose history is mostly charges, against the simulator's two limits (100 a
    /// second for the key, 25 for each endpoint): every document arrives, and the requests as the connector sent
    /// them keep to both limits, where a client pacing only the key's 100 would send most of its charges requests
    /// past the endpoint's 25 once the other streams are done. The requests are judged by Stripe's limiters (the
    /// simulator's own) at the moments they left the client, replayed on a fake clock: how a loaded machine
    /// delays them between client and server, and so the 429s the server happened to answer, do not enter the
    /// verdict. The exact shares and rates of the limiter alone are asserted on a fake clock (EndpointBudgetTests, PacingTests).
    /// </summary>
    [Fact]
    public async Task A_capture_of_an_account_mostly_of_charges_sends_its_requests_within_the_keys_limit_and_each_endpoints()
    {
        string[] streams = ["charges", "customers", "invoices", "refunds", "payment_intents", "invoice_line_items"];
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 8,
            ObjectsPerStream = 150,
            ObjectCounts = new Dictionary<string, int> { ["charges"] = 12000 },
        });
        var sent = new ConcurrentQueue<(long Timestamp, string Endpoint)>();
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-3), streams.Select(s => new OpenRequests.Binding(s)));
        await using var capture = await InProcessCapture.StartAsync(open, clients: config => new StripeClient(config, new SendTimes(sent)));
        await capture.WaitUntilAsync(t => streams.All(s => t.PendingRanges(s) == 0), TimeSpan.FromMinutes(5));
        Assert.Equal(0, await capture.StopAsync());

        var requests = sent.OrderBy(r => r.Timestamp).ToList();
        var charges = requests.Count(r => r.Endpoint == "GET /v1/charges");
        Assert.True(charges > 100, $"only {charges} requests for charges: the test proves nothing");
        var judge = new FakeTimeProvider();
        var limits = new RateLimitEnforcer(RateLimits.Stripe, "sk_live_simulator", "acct_platform", judge);
        var refused = new Dictionary<string, int>();
        var start = requests[0].Timestamp;
        foreach (var (timestamp, endpoint) in requests)
        {
            judge.Advance(Stopwatch.GetElapsedTime(start, timestamp) - (judge.GetUtcNow() - judge.Start));
            if (limits.TryAcquire(endpoint, stripeAccount: null) is { } limiter)
            {
                refused[limiter] = refused.GetValueOrDefault(limiter) + 1;
            }
        }
        var throttled = refused.Values.Sum();
        Assert.True(throttled <= requests.Count / 100, $"{throttled} of {requests.Count} requests left the client beyond Stripe's limits ({string.Join(", ", refused.Select(r => $"{r.Value} {r.Key}"))})");
        ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, "charges"), ExpectedDocuments.Captured(capture.Transcript.Documents, 0), "charges");
    }

    /// <summary>The client's own handler, noting when each request leaves it.</summary>
    private sealed class SendTimes(ConcurrentQueue<(long Timestamp, string Endpoint)> sent) : DelegatingHandler(new SocketsHttpHandler
    {
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        MaxConnectionsPerServer = 256,
        UseCookies = false,
    })
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            sent.Enqueue((Stopwatch.GetTimestamp(), RateLimitEnforcer.Endpoint(request.Method.Method, request.RequestUri!.AbsolutePath)));
            return base.SendAsync(request, cancellationToken);
        }
    }
}
