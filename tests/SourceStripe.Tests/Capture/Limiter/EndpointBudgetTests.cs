using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Limiter;

/// <summary>Stripe's second limit, 25 requests a second for each endpoint under the key's 100, on a fake clock.</summary>
public sealed class EndpointBudgetTests
{
    [Fact]
    public void An_endpoint_with_its_budget_spent_holds_back_only_its_own_waiters()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, 25, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        var charges = Enumerable.Range(0, 60).Select(_ => limiter.AcquireAsync(Endpoints.Charges).AsTask()).ToList();
        clock.Advance(TimeSpan.FromMilliseconds(200));
        var customers = Enumerable.Range(0, 3).Select(_ => limiter.AcquireAsync(Endpoints.Customers).AsTask()).ToList();
        var customersDoneAt = -1L;
        for (var ms = 0; ms < 1000; ms++)
        {
            if (customersDoneAt < 0 && customers.All(t => t.IsCompleted))
            {
                customersDoneAt = clock.Milliseconds;
            }
            clock.Tick();
        }
        // Customers came behind 50 waiting charges, yet left within their own spacing (about 41 ms apart) ...
        Assert.InRange(customersDoneAt - 10_200, 0, 100);
        // ... while charges kept to 24 in any second (98% of 25), never the key's 98.
        Assert.InRange(charges.Count(t => t.IsCompleted), 24, 25 + 24);
        Assert.True(charges.Count(t => t.IsCompleted) < 50);
    }

    [Fact]
    public void Endpoints_share_the_keys_budget_first_come_first_served_and_each_keeps_its_own()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, 25, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        // Eight endpoints, their waiters queued one endpoint after another.
        var waiting = Endpoints.Resources.Select(r => Enumerable.Range(0, 200).Select(_ => limiter.AcquireAsync(Endpoints.List(r)).AsTask()).ToList()).ToList();
        var perSecond = new List<int[]>();
        for (var second = 0; second < 5; second++)
        {
            var before = waiting.Select(w => w.Count(t => t.IsCompleted)).ToArray();
            for (var ms = 0; ms < 1000; ms++)
            {
                clock.Tick();
            }
            perSecond.Add([.. waiting.Select((w, i) => w.Count(t => t.IsCompleted) - before[i])]);
        }
        // The key's 98 a second binds (8 × 24.5 could go): the endpoints whose waiters came first take it, no
        // endpoint more than 24 in a second, and the rest wait for them rather than being spread thin.
        Assert.All(perSecond, second => Assert.InRange(second.Sum(), 96, 99));
        Assert.All(perSecond, second => Assert.All(second, n => Assert.InRange(n, 0, 24)));
        Assert.All(perSecond, second => Assert.InRange(second.Take(4).Sum(), 94, 96));
    }

    [Fact]
    public void The_same_operation_for_two_connected_accounts_is_two_endpoints_under_one_key()
    {
        var released = Released(TimeSpan.FromSeconds(2), Endpoints.List("charges", "acct_1One"), Endpoints.List("charges", "acct_2Two"));
        Assert.All(released, n => Assert.InRange(n, 48, 50));
    }

    [Fact]
    public void Stripes_files_api_gets_20_a_second()
    {
        var released = Released(TimeSpan.FromSeconds(2), RequestEndpoint.Of(null, "/v1/files?limit=100"), RequestEndpoint.Of(null, "/v1/file_links"));
        Assert.InRange(released[0], 38, 40);
        Assert.InRange(released[1], 48, 50);
    }

    /// <summary>How many of 100 waiters for each endpoint a limiter of 100 and 25 a second releases in <paramref name="time"/>.</summary>
    private static int[] Released(TimeSpan time, params RequestEndpoint[] endpoints)
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, 25, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        var waiting = endpoints.Select(e => Enumerable.Range(0, 100).Select(_ => limiter.AcquireAsync(e).AsTask()).ToList()).ToList();
        for (var ms = 0; ms < time.TotalMilliseconds; ms++)
        {
            clock.Tick();
        }
        return [.. waiting.Select(w => w.Count(t => t.IsCompleted))];
    }

    [Fact]
    public void A_429_slows_what_its_reason_names()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, 25, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(24.5, limiter.RateOf(Endpoints.Charges), 3);

        limiter.OnThrottled(Endpoints.Charges, ThrottleScope.Endpoint);
        Assert.Equal(24.5 * 0.95, limiter.RateOf(Endpoints.Charges), 3);
        Assert.Equal(24.5, limiter.RateOf(Endpoints.Customers), 3);
        Assert.Equal(98, limiter.CurrentRate, 3);
        Assert.Equal((0, 1), (limiter.Throttles, limiter.EndpointThrottles));

        limiter.OnThrottled(Endpoints.Customers, ThrottleScope.Key);
        Assert.Equal(98 * 0.95, limiter.CurrentRate, 3);
        Assert.Equal(24.5, limiter.RateOf(Endpoints.Customers), 3);

        limiter.OnThrottled(Endpoints.Customers, ThrottleScope.None);
        Assert.Equal((1, 1), (limiter.Throttles, limiter.EndpointThrottles));
        // The cut endpoint climbs back, 2% of its limit a second.
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(24.5, limiter.RateOf(Endpoints.Charges), 3);
    }

    [Theory]
    [InlineData(0.25, 25, 14)]
    [InlineData(0.25, 100, 51)]
    [InlineData(0.8, 25, 41)]
    [InlineData(0.01, 25, 2)]
    public void An_endpoint_has_room_for_as_many_units_as_keep_its_budget_busy(double answerSeconds, int endpointLimit, int capacity)
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(1000, endpointLimit, clock);
        clock.Advance(TimeSpan.FromSeconds(10));
        for (var i = 0; i < 500; i++)
        {
            limiter.Answered(TimeSpan.FromSeconds(answerSeconds));
        }
        Assert.Equal(capacity, limiter.Capacity(Endpoints.Charges));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Against_both_of_stripes_limits_a_skewed_capture_keeps_the_ceiling_with_few_429s(int seed)
    {
        // Four endpoints with work (min(100, 4 × 25) = 100 a second): most units on charges, as on an account whose
        // history is mostly charges, and enough on each of the others to use its 25.
        // More units than a second's worth at 250 ms: what the scheduler gives an endpoint (StripeRateLimiter.Capacity).
        var model = new StripeModel(limit: 100, units: 88, seed)
        {
            EndpointOf = unit => unit < 40 ? Endpoints.Charges : Endpoints.List(Endpoints.Resources[1 + (unit % 3)]),
        };
        model.Run(TimeSpan.FromSeconds(45));
        var steady = model.AcceptedSteady / 30.0 / 100;
        var share = (double)model.Throttled / (model.Accepted + model.Throttled);
        Assert.True(steady >= 0.95, $"{steady:0.000} of the ceiling accepted after 15 s");
        Assert.True(model.AcceptedSteadyBy[Endpoints.Charges] / 30.0 / 25 >= 0.95, $"charges: {model.AcceptedSteadyBy[Endpoints.Charges] / 30.0:0.0} a second");
        Assert.All(model.AcceptedSteadyBy.Values, n => Assert.True(n / 30.0 <= 25));
        Assert.True(share < 0.01, $"{share:P2} of requests throttled ({model.Throttled}, {model.EndpointThrottled} by an endpoint)");
    }

    [Fact]
    public void A_client_pacing_only_the_keys_limit_draws_endpoint_429s()
    {
        // The same skewed capture with the per-endpoint pace off (the connector before it kept one): the model of
        // Stripe must show what it costs, or the test above proves nothing.
        var model = new StripeModel(limit: 100, units: 88, seed: 1)
        {
            EndpointOf = unit => unit < 40 ? Endpoints.Charges : Endpoints.List(Endpoints.Resources[1 + (unit % 3)]),
            LimiterEndpointLimit = Endpoints.Unbounded,
        };
        model.Run(TimeSpan.FromSeconds(45));
        var share = (double)model.Throttled / (model.Accepted + model.Throttled);
        Assert.True(share > 0.1, $"{share:P2} of requests throttled");
        Assert.True(model.EndpointThrottled > model.Throttled * 0.9);
    }
}
