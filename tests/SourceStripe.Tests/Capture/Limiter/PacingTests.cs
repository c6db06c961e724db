using System.Threading.RateLimiting;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Limiter;

/// <summary>The pace the limiter keeps, on a fake clock: figures that depend on nothing but the seed.</summary>
public sealed class PacingTests
{
    [Fact]
    public void Over_a_simulated_minute_waiters_get_98_percent_of_the_limit_and_no_second_holds_more()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        var queue = new Queue<Task<RateLimitLease>>();
        var released = new List<long>();
        for (var ms = 0; ms < 60_000; ms++)
        {
            // Always 64 waiting, as the capture's units keep it.
            while (queue.Count < 64)
            {
                queue.Enqueue(limiter.AcquireAsync(Endpoints.Charges).AsTask());
            }
            while (queue.Count > 0 && queue.Peek().IsCompleted)
            {
                queue.Dequeue();
                released.Add(ms);
            }
            clock.Tick();
        }
        var perSecond = released.GroupBy(ms => ms / 1000).ToDictionary(g => g.Key, g => g.Count());
        // 80% of the aim at first, climbing 5 a second.
        Assert.InRange(perSecond[0], 78, 83);
        Assert.All(Enumerable.Range(5, 55), second => Assert.InRange(perSecond[second], 97, 98));
        Assert.InRange(released.Count, 0.96 * 6000, 0.98 * 6000);
        var busiest = 0;
        for (int first = 0, last = 0; last < released.Count; last++)
        {
            while (released[last] - released[first] >= 1000)
            {
                first++;
            }
            busiest = Math.Max(busiest, last - first + 1);
        }
        Assert.Equal(98, busiest);
    }

    [Fact]
    public void At_a_rate_above_one_a_millisecond_a_timer_tick_releases_every_waiter_whose_slot_has_come()
    {
        // The demo and a proxy's limit run at 2,000 a second: an interval of half a millisecond, shorter than a tick.
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(2000, Endpoints.Unbounded, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        var waiting = Enumerable.Range(0, 3000).Select(_ => limiter.AcquireAsync(Endpoints.Charges).AsTask()).ToList();
        for (var ms = 0; ms < 1000; ms++)
        {
            clock.Tick();
        }
        // 98% of 2,000 in the second (1,960, and one more at its last tick, a second after the first); one release a
        // tick would have given 1,000.
        Assert.InRange(waiting.Count(t => t.IsCompleted), 1900, 1961);
    }

    [Fact]
    public void A_429_cuts_the_rate_by_5_percent_once_a_second_and_it_climbs_back_within_3_seconds()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        Assert.Equal(78.4, limiter.CurrentRate, 3);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(88.4, limiter.CurrentRate, 3);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(98, limiter.CurrentRate, 3);
        // A burst of 429s from the requests in flight counts once.
        limiter.OnThrottled(Endpoints.Charges, ThrottleScope.Key);
        limiter.OnThrottled(Endpoints.Charges, ThrottleScope.Key);
        Assert.Equal(98 * 0.95, limiter.CurrentRate, 3);
        Assert.Equal(1, limiter.Throttles);
        // From then on it climbs 2% of the limit a second.
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((98 * 0.95) + 2, limiter.CurrentRate, 3);
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(98, limiter.CurrentRate, 3);
        // 429s every second (a key another client also uses) walk it down to where they would stop.
        for (var second = 0; second < 30; second++)
        {
            limiter.OnThrottled(Endpoints.Charges, ThrottleScope.Key);
            clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.InRange(limiter.CurrentRate, 40, 55);
        Assert.Equal(31, limiter.Throttles);
    }

    /// <summary>
    /// The figures the capture must reach, in <see cref="StripeModel"/>: at least 95% of the limit accepted
    /// after a 15 s warm-up, fewer than 1% of requests answered 429, with bunched arrivals.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Against_stripes_sliding_second_64_units_keep_the_limit_busy_with_few_429s(int seed)
    {
        var model = new StripeModel(limit: 100, units: 64, seed);
        model.Run(TimeSpan.FromSeconds(75));
        var steady = model.AcceptedSteady / 60.0 / 100;
        var share = (double)model.Throttled / (model.Accepted + model.Throttled);
        Assert.True(steady >= 0.95, $"{steady:0.000} of the limit accepted after 15 s");
        Assert.True(model.Accepted / 75.0 / 100 >= 0.93, $"{model.Accepted / 75.0 / 100:0.000} of the limit over the run");
        Assert.True(share < 0.01, $"{share:P2} of requests throttled ({model.Throttled})");
    }

    /// <summary>
    /// Little's law: units that each wait about 0.3 s for an answer send at most units ÷ 0.3 s a second, so
    /// too few leave the limit unused whatever the limiter does (why the capture runs 60 at 100/s).
    /// </summary>
    [Fact]
    public void Too_few_units_not_the_limiter_bound_the_rate()
    {
        var few = new StripeModel(limit: 100, units: 24, seed: 1);
        few.Run(TimeSpan.FromSeconds(75));
        var enough = new StripeModel(limit: 100, units: 60, seed: 1);
        enough.Run(TimeSpan.FromSeconds(75));
        Assert.InRange(few.AcceptedSteady / 60.0 / 100, 0.7, 0.85);
        Assert.True(enough.AcceptedSteady / 60.0 / 100 >= 0.95);
    }
}
