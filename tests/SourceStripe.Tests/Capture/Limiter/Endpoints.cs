using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Limiter;

/// <summary>Endpoints the limiter tests send to.</summary>
internal static class Endpoints
{
    /// <summary>A per-endpoint limit no test reaches: the key's budget alone paces.</summary>
    public const double Unbounded = 100_000;

    public static readonly RequestEndpoint Charges = RequestEndpoint.Of(null, "/v1/charges");

    public static readonly RequestEndpoint Customers = RequestEndpoint.Of(null, "/v1/customers");

    public static readonly string[] Resources = ["charges", "customers", "invoices", "refunds", "payouts", "disputes", "coupons", "products"];

    /// <summary>The list of <paramref name="resource"/> for the platform (null) or a connected account.</summary>
    public static RequestEndpoint List(string resource, string? account = null) => RequestEndpoint.Of(account, "/v1/" + resource);
}
