using Microsoft.Extensions.Time.Testing;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Simulator;

/// <summary>Stripe's global and per-endpoint rate limiters as the simulator enforces them, on a fake clock: no count
/// here depends on how fast the machine is.</summary>
public sealed class RateLimiterTests
{
    private const string LiveKey = "sk_live_simulator";
    private const string SandboxKey = "sk_test_simulator";
    private const string Platform = "acct_simulator";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));

    private RateLimitEnforcer Limiter(string key = LiveKey, RateLimits? limits = null) =>
        new(limits ?? RateLimits.Stripe, key, Platform, _clock);

    /// <summary>Sends <paramref name="count"/> requests to <paramref name="endpoint"/> and returns each one's reason (null: accepted).</summary>
    private static List<string?> Send(RateLimitEnforcer limiter, string endpoint, int count, string? account = null) =>
        [.. Enumerable.Range(0, count).Select(_ => limiter.TryAcquire(endpoint, account))];

    private static void AssertAccepted(IEnumerable<string?> reasons) => Assert.All(reasons, Assert.Null);

    [Theory]
    [InlineData("GET", "/v1/charges", "GET /v1/charges")]
    [InlineData("GET", "/v1/charges/ch_3MmlLrLkdIwHu7ix0snN0B15", "GET /v1/charges/{id}")]
    [InlineData("GET", "/v1/customers/cus_NffrFeUfNV2Hib/sources", "GET /v1/customers/{id}/sources")]
    [InlineData("GET", "/v1/customers/cus_NffrFeUfNV2Hib/tax_ids/txi_1NuMB12eZvKYlo2C", "GET /v1/customers/{id}/tax_ids/{id}")]
    [InlineData("GET", "/v1/checkout/sessions/cs_test_a1b2C3/line_items", "GET /v1/checkout/sessions/{id}/line_items")]
    [InlineData("GET", "/v1/balance_transactions?payout=po_1MiN3gLkdIwHu7ixNCZvFdgA", "GET /v1/balance_transactions")]
    [InlineData("GET", "/v1/coupons/25OFF", "GET /v1/coupons/{id}")]
    [InlineData("GET", "/v1/charges/search", "GET /v1/charges/search")]
    [InlineData("POST", "/v1/customers/", "POST /v1/customers")]
    [InlineData("GET", "/", "GET /")]
    public void An_endpoint_is_the_method_and_the_path_with_its_ids_replaced(string method, string path, string endpoint) =>
        Assert.Equal(endpoint, RateLimitEnforcer.Endpoint(method, path));

    [Fact]
    public void The_endpoint_limit_is_25_a_second_and_another_endpoint_still_has_room()
    {
        var limiter = Limiter();
        AssertAccepted(Send(limiter, "GET /v1/charges", 25));
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire("GET /v1/charges", null));
        Assert.Null(limiter.TryAcquire("GET /v1/customers", null));
    }

    [Theory]
    [InlineData(LiveKey, 100)]
    [InlineData("rk_live_restricted", 100)]
    [InlineData(SandboxKey, 25)]
    public void The_global_limit_is_by_the_keys_mode_over_all_endpoints(string key, int perSecond)
    {
        var limiter = Limiter(key);
        foreach (var resource in new[] { "charges", "customers", "invoices", "refunds", "payouts" })
        {
            AssertAccepted(Send(limiter, $"GET /v1/{resource}", perSecond / 5));
        }
        Assert.Equal(RateLimitReasons.GlobalRate, limiter.TryAcquire("GET /v1/disputes", null));
    }

    [Fact]
    public void Retrieves_of_different_ids_and_lists_with_different_queries_count_as_one_endpoint()
    {
        var limiter = Limiter();
        for (var i = 0; i < 25; i++)
        {
            Assert.Null(limiter.TryAcquire(RateLimitEnforcer.Endpoint("GET", $"/v1/charges/ch_{i}Xy"), null));
        }
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire(RateLimitEnforcer.Endpoint("GET", "/v1/charges/ch_NewOne1"), null));

        for (var i = 0; i < 25; i++)
        {
            Assert.Null(limiter.TryAcquire(RateLimitEnforcer.Endpoint("GET", $"/v1/balance_transactions?payout=po_{i}Ab&limit=100"), null));
        }
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire(RateLimitEnforcer.Endpoint("GET", "/v1/balance_transactions"), null));
    }

    [Fact]
    public void Files_and_search_endpoints_have_20_a_second()
    {
        var limiter = Limiter();
        foreach (var endpoint in new[] { "GET /v1/files", "GET /v1/files/{id}", "GET /v1/charges/search" })
        {
            AssertAccepted(Send(limiter, endpoint, 20));
            Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire(endpoint, null));
        }
        Assert.Equal(10, new RateLimits { EndpointPerSecond = 10 }.EndpointFor("GET /v1/files"));
        Assert.Equal(25, RateLimits.Stripe.EndpointFor("GET /v1/file_links"));
    }

    [Fact]
    public void Endpoints_are_counted_per_account_and_the_global_limit_over_all_of_them()
    {
        var limiter = Limiter(LiveKey);
        AssertAccepted(Send(limiter, "GET /v1/charges", 25, account: null));
        // The platform named in the header is the platform.
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire("GET /v1/charges", Platform));
        AssertAccepted(Send(limiter, "GET /v1/charges", 25, account: "acct_1A"));
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire("GET /v1/charges", "acct_1A"));
        AssertAccepted(Send(limiter, "GET /v1/charges", 25, account: "acct_1B"));
        AssertAccepted(Send(limiter, "GET /v1/charges", 25, account: "acct_1C"));
        Assert.Equal(RateLimitReasons.GlobalRate, limiter.TryAcquire("GET /v1/charges", "acct_1D"));
    }

    [Fact]
    public void The_window_slides_each_request_returning_to_the_budget_a_second_after_it_was_accepted()
    {
        var limiter = Limiter();
        AssertAccepted(Send(limiter, "GET /v1/charges", 10));
        _clock.Advance(TimeSpan.FromMilliseconds(500));
        AssertAccepted(Send(limiter, "GET /v1/charges", 15));
        _clock.Advance(TimeSpan.FromMilliseconds(499));
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire("GET /v1/charges", null));

        // At 1 s the first ten are out of the window, the fifteen of 0.5 s still in.
        _clock.Advance(TimeSpan.FromMilliseconds(1));
        AssertAccepted(Send(limiter, "GET /v1/charges", 10));
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire("GET /v1/charges", null));

        _clock.Advance(TimeSpan.FromMilliseconds(500));
        AssertAccepted(Send(limiter, "GET /v1/charges", 15));
        Assert.Equal(RateLimitReasons.EndpointRate, limiter.TryAcquire("GET /v1/charges", null));

        _clock.Advance(TimeSpan.FromSeconds(1));
        AssertAccepted(Send(limiter, "GET /v1/charges", 25));
    }

    [Fact]
    public void Refused_requests_are_not_counted()
    {
        var limiter = Limiter();
        AssertAccepted(Send(limiter, "GET /v1/charges", 25));
        _clock.Advance(TimeSpan.FromMilliseconds(900));
        Assert.All(Send(limiter, "GET /v1/charges", 50), r => Assert.Equal(RateLimitReasons.EndpointRate, r));
        _clock.Advance(TimeSpan.FromMilliseconds(100));
        AssertAccepted(Send(limiter, "GET /v1/charges", 25));
    }

    [Fact]
    public void Buckets_of_endpoints_idle_for_a_second_are_dropped()
    {
        var limiter = Limiter(limits: new RateLimits { GlobalPerSecond = 10_000 });
        for (var i = 0; i < 2_000; i++)
        {
            Assert.Null(limiter.TryAcquire("GET /v1/charges", $"acct_{i:D16}"));
            if (i % 100 == 99)
            {
                _clock.Advance(TimeSpan.FromMilliseconds(100));
            }
        }
        Assert.InRange(limiter.EndpointBuckets, 1_000, 2_000);
        _clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(limiter.TryAcquire("GET /v1/customers", null));
        Assert.Equal(1, limiter.EndpointBuckets);
    }

    [Fact]
    public void Over_a_run_the_held_buckets_follow_the_endpoints_in_use_not_all_those_seen()
    {
        var limiter = Limiter();
        for (var i = 0; i < 10_000; i++)
        {
            Assert.Null(limiter.TryAcquire("GET /v1/charges", $"acct_{i:D16}"));
            _clock.Advance(TimeSpan.FromMilliseconds(20));
        }
        // 50 requests a second to new accounts: at most the last two seconds' are held.
        Assert.InRange(limiter.EndpointBuckets, 1, 100);
    }

    [Fact]
    public void Limits_are_validated_and_default_to_stripes()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimits { GlobalPerSecond = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new RateLimits { EndpointPerSecond = 0 });
        Assert.Equal(RateLimits.Stripe, new SimulatorOptions().RateLimits);
        Assert.Equal(25, RateLimits.Stripe.GlobalFor(SandboxKey));
        Assert.Equal(40, new RateLimits { GlobalPerSecond = 40 }.GlobalFor(LiveKey));
        Assert.Null(DemoAccount.Options().RateLimits);
    }
}
