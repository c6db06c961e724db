using System.Text;
using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>
/// Per-stream realism: the statuses, amounts and references that make one object agree with the others (a charge
/// has its payment intent's customer and amount, an invoice its subscription's customer...). A profile only sets
/// fixed values; the rest is the resource's sample (<see cref="SampleWriter"/>).
/// </summary>
internal static partial class StreamProfiles
{
    internal const long Day = 86_400;

    private const double EurToUsd = 1.0852;
    private const string EurToUsdText = "1.0852";

    /// <summary>Fixes the values of a new object of <c>ctx.Stream</c>. Values already fixed (by the account
    /// generator, which pairs objects up) are kept.</summary>
    public static void Apply(ObjectContext c, JsonElement sample, IReferenceSource refs, string? parentId)
    {
        c.Set("id", c.Id);
        c.Set("object", Resources.Get(c.Stream).Object);
        // Not every object has a creation time of its own (a checkout session's line items do not).
        if (sample.TryGetProperty("created", out _))
        {
            c.Set("created", c.Created);
        }
        c.Set("livemode", false);
        switch (c.Stream)
        {
            case "balance_transactions": BalanceTransaction(c, refs); break;
            case "bank_accounts": BankAccount(c, parentId!); break;
            case Resources.Cards: Card(c, parentId!); break;
            case "charges": Charge(c, refs); break;
            case "checkout_sessions": CheckoutSession(c, refs); break;
            case "checkout_sessions_line_items": CheckoutLineItem(c, refs, parentId!); break;
            case "coupons": Coupon(c); break;
            case "customer_balance_transactions": CustomerBalanceTransaction(c, parentId!); break;
            case "customers": Customer(c); break;
            case "disputes": Dispute(c, refs); break;
            case "invoice_items": InvoiceItem(c, refs); break;
            case "invoice_line_items": InvoiceLine(c, refs, parentId!); break;
            case "invoices": Invoice(c, refs); break;
            case "payment_intents": PaymentIntent(c); break;
            case "payouts": Payout(c); break;
            case "plans": Plan(c); break;
            case "products": Product(c); break;
            case "promotion_codes": PromotionCode(c, refs); break;
            case "refunds": Refund(c, refs); break;
            case "subscription_items": SubscriptionItem(c, refs, parentId!); break;
            case "subscriptions": Subscription(c); break;
            case "transfers": Transfer(c); break;
        }
        if (sample.TryGetProperty("currency", out _))
        {
            Keep(c, "currency", c.Currency);
        }
        foreach (var property in sample.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.String && !c.Has(property.Name)
                && StripeObjects.ReferencedResource(property.Name) is { } target)
            {
                c.Set(property.Name, refs.Pick(target, c.Created, ref c.Rng));
            }
        }
    }

    /// <summary>Sets a value unless the generator fixed it already.</summary>
    internal static void Keep(ObjectContext c, string path, string? text)
    {
        if (!c.Has(path))
        {
            c.Set(path, text);
        }
    }

    internal static void Keep(ObjectContext c, string path, long? number)
    {
        if (!c.Has(path) && number is { } n)
        {
            c.Set(path, n);
        }
    }

    /// <summary>The object's main amount: fixed by the generator, or a fresh price-like amount.</summary>
    internal static long Amount(ObjectContext c)
    {
        Keep(c, "amount", StripeObjects.Amount(ref c.Rng));
        return c.Number("amount")!.Value;
    }

    /// <summary>Takes over another object's currency.</summary>
    internal static void CurrencyOf(ObjectContext c, IReferenceSource refs, string stream, string? id)
    {
        if (id is not null && refs.Field(stream, id, "currency").Text is { } currency)
        {
            c.Currency = currency;
        }
    }

    internal static string Choose(ref Rng rng, params (string Value, double Weight)[] choices)
    {
        var roll = rng.NextDouble();
        foreach (var (value, weight) in choices)
        {
            if ((roll -= weight) < 0)
            {
                return value;
            }
        }
        return choices[^1].Value;
    }

    internal static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    private static void CheckoutSession(ObjectContext c, IReferenceSource refs)
    {
        var status = Choose(ref c.Rng, ("complete", 0.7), ("expired", 0.2), ("open", 0.1));
        c.Set("status", status);
        c.Set("mode", "payment");
        c.Set("payment_status", status == "complete" ? "paid" : "unpaid");
        c.Set("payment_intent", status == "complete" ? refs.Pick("payment_intents", c.Created, ref c.Rng) : null);
        c.Set("subscription", Fixed.Null);
        c.Set("invoice", Fixed.Null);
        Keep(c, "customer", refs.Pick("customers", c.Created, ref c.Rng));
        var customer = c.Text("customer");
        c.Set("customer_email", customer is null ? null : refs.Field("customers", customer, "email").Text);
        c.Set("expires_at", c.Created + Day);
        c.Set("url", status == "open" ? $"https://checkout.stripe.com/c/pay/{c.Id}" : null);
        c.Set("success_url", "https://example.com/success");
        c.Set("cancel_url", "https://example.com/cancel");
        SetCheckoutTotals(c, Amount(c));
    }

    /// <summary>A session's totals; one in euros shows prices converted from the integration's dollars (Adaptive
    /// Pricing), whose <c>fx_rate</c> Stripe sends as a decimal string.</summary>
    internal static void SetCheckoutTotals(ObjectContext c, long total)
    {
        c.Set("amount_subtotal", total);
        c.Set("amount_total", total);
        if (c.Currency == "eur")
        {
            var source = (long)Math.Round(total / EurToUsd);
            c.Set("currency_conversion.amount_subtotal", source);
            c.Set("currency_conversion.amount_total", source);
            c.Set("currency_conversion.fx_rate", EurToUsdText);
            c.Set("currency_conversion.source_currency", "usd");
        }
    }

    private static void CheckoutLineItem(ObjectContext c, IReferenceSource refs, string session)
    {
        CurrencyOf(c, refs, "checkout_sessions", session);
        var quantity = c.Rng.Next(1, 3);
        var unit = StripeObjects.Amount(ref c.Rng);
        c.Set("quantity", quantity);
        c.Set("amount_subtotal", unit * quantity);
        c.Set("amount_total", unit * quantity);
        c.Set("amount_discount", 0);
        c.Set("amount_tax", 0);
        c.Set("price.unit_amount", unit);
        c.Set("price.currency", c.Currency);
        if (refs.Pick("plans", long.MaxValue, ref c.Rng) is { } plan)
        {
            c.Set("price.id", plan);
            c.Set("price.product", refs.Field("plans", plan, "product").Text);
        }
    }
}
