using SourceStripe.Simulator;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture;

public sealed class RateLimitTests
{
    [Fact]
    public void The_limiter_never_lets_more_requests_through_a_second_than_its_rate()
    {
        var time = new SteppedClock();
        using var limiter = new AdaptiveRateLimiter(100, time);
        var granted = new List<long>();
        // Eager callers asking every millisecond for 20 s.
        for (var ms = 0; ms < 20_000; ms++)
        {
            while (limiter.AttemptAcquire().IsAcquired)
            {
                granted.Add(ms);
            }
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        var busiest = granted.Max(t => granted.Count(u => u >= t && u < t + 1000));
        Assert.InRange(busiest, 90, 95);
        // Half the rate at first, the full 95% of the limit after the climb.
        Assert.InRange(granted.Count(t => t < 1000), 45, 50);
        Assert.InRange(granted.Count(t => t >= 19_000), 93, 95);
    }

    [Fact]
    public void A_429_lowers_the_rate_by_a_tenth_once_per_second_and_quiet_seconds_raise_it_back()
    {
        var time = new SteppedClock();
        using var limiter = new AdaptiveRateLimiter(100, time);
        // It starts at half the rate and climbs 5% of it each second.
        Assert.Equal(47.5, limiter.CurrentRate, 3);
        time.Advance(TimeSpan.FromSeconds(4));
        limiter.AttemptAcquire();
        Assert.Equal(47.5 + (4 * 4.75), limiter.CurrentRate, 3);
        time.Advance(TimeSpan.FromSeconds(60));
        limiter.AttemptAcquire();
        Assert.Equal(95, limiter.CurrentRate, 3);
        time.Advance(TimeSpan.FromSeconds(2));
        limiter.OnThrottled();
        limiter.OnThrottled();
        Assert.Equal(95 * 0.9, limiter.CurrentRate, 3);
        Assert.Equal(1, limiter.Throttles);
        // After a 429 it probes gently: 1% of the limit a second.
        time.Advance(TimeSpan.FromSeconds(3));
        limiter.AttemptAcquire();
        Assert.Equal((95 * 0.9) + (3 * 0.95), limiter.CurrentRate, 3);
    }

    /// <summary>
    /// Stripe enforcing 40 requests/s over a sliding second while the limiter is told 40/s: it paces itself
    /// under the limit, so 429s stay rare, and still uses most of it. On a stepped clock, with eager callers
    /// every millisecond and each request reaching Stripe 0-20 ms after it leaves, so the result does not
    /// depend on how the machine running the test schedules threads.
    /// </summary>
    [Fact]
    public void Paced_by_the_limiter_requests_at_the_accounts_limit_meet_few_429s_and_use_most_of_it()
    {
        var time = new SteppedClock();
        using var limiter = new AdaptiveRateLimiter(40, time);
        var jitter = new Random(8);
        var arrivals = new PriorityQueue<int, int>();
        var accepted = new Queue<int>();
        var (sent, throttled) = (0, 0);
        for (var ms = 0; ms < 30_000; ms++)
        {
            while (limiter.AttemptAcquire().IsAcquired)
            {
                sent++;
                var at = ms + jitter.Next(0, 21);
                arrivals.Enqueue(at, at);
            }
            // Stripe's side: a request over 40 in the last second is answered 429, as the simulator does.
            while (arrivals.TryPeek(out var at, out _) && at <= ms)
            {
                arrivals.Dequeue();
                while (accepted.Count > 0 && at - accepted.Peek() >= 1000)
                {
                    accepted.Dequeue();
                }
                if (accepted.Count >= 40)
                {
                    throttled++;
                    limiter.OnThrottled();
                }
                else
                {
                    accepted.Enqueue(at);
                }
            }
            time.Advance(TimeSpan.FromMilliseconds(1));
        }
        Assert.True(throttled <= sent / 100 + 1, $"{throttled} of {sent} requests were throttled");
        Assert.True(sent / 30.0 > 40 * 0.5, $"{sent / 30.0:0.0} requests/s against a limit of 40");
    }

    /// <summary>
    /// The same through the whole capture against the simulator's 40/s: every document arrives, and the
    /// capture's requests are paced by the limiter (429s a small share, where unpaced requests at the
    /// simulator's speed would meet mostly 429s). The exact share and the rate used are asserted on the
    /// stepped clock above: here they would depend on how a loaded machine bunches requests in flight.
    /// </summary>
    [Fact]
    public async Task A_capture_at_the_accounts_limit_captures_everything_paced_by_the_limiter()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 8, ObjectsPerStream = 500 });
        stripe.RateLimitPerSecond = 40;
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

    private sealed class SteppedClock : TimeProvider
    {
        private long _ticks = 1_000_000;

        public void Advance(TimeSpan by) => _ticks += by.Ticks;

        public override long GetTimestamp() => _ticks;

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    }
}
