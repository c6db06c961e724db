using System.Text.Json;
using SourceStripe.Config;
using SourceStripe.Simulator;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Stripe;

/// <summary>A 429 slows down what its <c>Stripe-Rate-Limited-Reason</c> names, and the request is retried.</summary>
public sealed class ThrottleReasonTests
{
    /// <summary>A live key: its budget stays above an endpoint's, so an endpoint's rate shows its own budget.</summary>
    private const string LiveKey = "sk_live_simulator";

    [Theory]
    [InlineData(RateLimitReasons.EndpointRate, false, true)]
    [InlineData(RateLimitReasons.EndpointConcurrency, false, true)]
    [InlineData(RateLimitReasons.GlobalRate, true, false)]
    [InlineData(RateLimitReasons.GlobalConcurrency, true, false)]
    [InlineData("a-limiter-stripe-adds-later", true, false)]
    [InlineData(null, true, false)]
    public async Task A_429_slows_the_endpoint_or_the_key_its_reason_names(string? reason, bool key, bool endpoint)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 10, RateLimits = null, SecretKey = LiveKey });
        using var client = Client(stripe);
        stripe.InjectFault(Fault.RateLimited(reason: reason) with { PathPrefix = "/v1/charges" });

        using var page = await client.ListAsync("/v1/charges?limit=100", "created", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(10, page.Items.Count);
        Assert.Equal([429, 200], stripe.Requests.Where(r => r.Path == "/v1/charges").Select(r => r.Status));
        Assert.Equal((key ? 1 : 0, endpoint ? 1 : 0), (client.Limiter.Throttles, client.Limiter.EndpointThrottles));
        var charges = RequestEndpoint.Of(null, "/v1/charges");
        var customers = RequestEndpoint.Of(null, "/v1/customers");
        Assert.Equal(endpoint, client.Limiter.RateOf(charges) < client.Limiter.RateOf(customers));
    }

    [Fact]
    public async Task A_lock_timeout_is_retried_without_slowing_anything()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 10, RateLimits = null, SecretKey = LiveKey });
        using var client = Client(stripe);
        stripe.InjectFault(Fault.LockTimeout() with { PathPrefix = "/v1/charges" });

        using var page = await client.ListAsync("/v1/charges?limit=100", "created", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(10, page.Items.Count);
        Assert.Equal(2, stripe.Requests.Count(r => r.Path == "/v1/charges"));
        Assert.Equal((0, 0), (client.Limiter.Throttles, client.Limiter.EndpointThrottles));
    }

    private static StripeClient Client(StripeSimulator stripe) => new(EndpointConfig.Parse(JsonDocument.Parse($$$"""
        {"account_id":"acct_simulator","client_secret":"{{{LiveKey}}}","start_date":"2020-01-01T00:00:00Z",
         "advanced":{"base_url":"{{{stripe.BaseUrl}}}"}}
        """).RootElement, new ConfigProblems(), DateTimeOffset.UtcNow)!);
}
