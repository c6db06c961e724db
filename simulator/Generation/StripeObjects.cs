using System.Collections.Frozen;

namespace SourceStripe.Simulator.Generation;

/// <summary>Which top-level fields name an object of another resource, and Stripe-like amounts.</summary>
internal static class StripeObjects
{
    /// <summary>Top-level fields that hold the id of a simulated resource's object (Stripe's expandable fields).</summary>
    private static readonly FrozenDictionary<string, string> References =
        new Dictionary<string, string>
        {
            ["customer"] = "customers",
            ["charge"] = "charges",
            ["payment_intent"] = "payment_intents",
            ["balance_transaction"] = "balance_transactions",
            ["invoice"] = "invoices",
            ["latest_invoice"] = "invoices",
            ["latest_charge"] = "charges",
            ["subscription"] = "subscriptions",
            ["product"] = "products",
            ["coupon"] = "coupons",
            ["transfer"] = "transfers",
            ["payout"] = "payouts",
        }.ToFrozenDictionary();

    /// <summary>The resource a top-level field references, or null.</summary>
    public static string? ReferencedResource(string field) => References.GetValueOrDefault(field);

    /// <summary>A price-like amount in the currency's smallest unit: 5.00 to 500.00 in steps of 0.50.</summary>
    public static long Amount(ref Rng rng) => 500 + rng.Next(0, 990) * 50L;
}
