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

    private static void BalanceTransaction(ObjectContext c, IReferenceSource refs)
    {
        if (!c.Has("source"))
        {
            c.Set("source", refs.Pick("charges", c.Created, ref c.Rng));
        }
        var source = c.Text("source");
        if (source is not null && !c.Has("amount"))
        {
            Keep(c, "amount", refs.Field("charges", source, "amount").AsNumber);
            CurrencyOf(c, refs, "charges", source);
        }
        var amount = Amount(c);
        // A charge in euros settles in the account's dollars: the ledger holds the converted amount and the rate.
        var converted = c.Currency == "eur";
        if (converted)
        {
            amount = (long)Math.Round(amount * EurToUsd);
            c.Set("amount", amount);
            c.Currency = "usd";
        }
        c.Set("exchange_rate", converted ? Fixed.Json(Json(EurToUsdText)) : Fixed.Null);
        var fee = (long)Math.Round(amount * 0.029) + 30;
        c.Set("fee", fee);
        c.Set("net", amount - fee);
        c.Set("type", "charge");
        c.Set("reporting_category", "charge");
        c.Set("balance_type", "payments");
        c.Set("available_on", c.Created + 2 * Day);
        c.Set("status", c.Rng.Chance(0.1) ? "pending" : "available");
        c.Set("fee_details", Fixed.Json(Json(
            $$"""[{"amount":{{fee}},"application":null,"currency":"{{c.Currency}}","description":"Stripe processing fees","type":"stripe_fee"}]""")));
    }

    private static void PaymentIntent(ObjectContext c)
    {
        var amount = Amount(c);
        var status = Choose(ref c.Rng, ("succeeded", 0.9), ("requires_payment_method", 0.06), ("processing", 0.04));
        c.Set("status", status);
        c.Set("amount_received", status == "succeeded" ? amount : 0);
        c.Set("amount_capturable", 0);
        c.Set("capture_method", "automatic_async");
        c.Set("confirmation_method", "automatic");
        c.Set("setup_future_usage", Fixed.Null);
        c.Set("receipt_email", Fixed.Null);
        if (!c.Has("latest_charge"))
        {
            c.Set("latest_charge", Fixed.Null);
        }
    }

    private static void Charge(ObjectContext c, IReferenceSource refs)
    {
        if (!c.Has("payment_intent"))
        {
            c.Set("payment_intent", refs.Pick("payment_intents", c.Created, ref c.Rng));
        }
        var intent = c.Text("payment_intent");
        var status = "succeeded";
        if (intent is not null)
        {
            Keep(c, "customer", refs.Field("payment_intents", intent, "customer").Text);
            Keep(c, "amount", refs.Field("payment_intents", intent, "amount").AsNumber);
            CurrencyOf(c, refs, "payment_intents", intent);
            status = refs.Field("payment_intents", intent, "status").Text switch
            {
                "requires_payment_method" => "failed",
                "processing" => "pending",
                _ => "succeeded",
            };
        }
        var amount = Amount(c);
        var succeeded = status == "succeeded";
        c.Set("status", status);
        c.Set("paid", succeeded);
        c.Set("captured", succeeded);
        c.Set("amount_captured", succeeded ? amount : 0);
        c.Set("amount_refunded", 0);
        c.Set("refunded", false);
        c.Set("disputed", false);
        c.Set("failure_code", status == "failed" ? "card_declined" : null);
        c.Set("failure_message", status == "failed" ? "Your card was declined." : null);
        c.Set("receipt_url", succeeded ? $"https://pay.stripe.com/receipts/{c.Id}" : null);
        c.Set("transfer", Fixed.Null);
        c.Set("source", Fixed.Null);
    }

    private static void Refund(ObjectContext c, IReferenceSource refs)
    {
        var charge = refs.Pick("charges", c.Created, ref c.Rng);
        c.Set("charge", charge);
        if (charge is not null)
        {
            c.Set("payment_intent", refs.Field("charges", charge, "payment_intent").Text);
            c.Set("customer", refs.Field("charges", charge, "customer").Text);
            CurrencyOf(c, refs, "charges", charge);
            if (refs.Field("charges", charge, "amount").AsNumber is { } paid)
            {
                c.Set("amount", c.Rng.Chance(0.7) || paid < 200 ? paid : paid / 2);
            }
        }
        Amount(c);
        c.Set("status", Choose(ref c.Rng, ("succeeded", 0.9), ("pending", 0.05), ("failed", 0.05)));
        c.Set("reason", Choose(ref c.Rng, ("requested_by_customer", 0.7), ("duplicate", 0.2), ("fraudulent", 0.1)));
        c.Set("balance_transaction", Fixed.Null);
        c.Set("instructions_email", Fixed.Null);
        c.Set("pending_reason", Fixed.Null);
    }

    private static void Dispute(ObjectContext c, IReferenceSource refs)
    {
        var charge = refs.Pick("charges", c.Created, ref c.Rng);
        c.Set("charge", charge);
        if (charge is not null)
        {
            c.Set("payment_intent", refs.Field("charges", charge, "payment_intent").Text);
            Keep(c, "amount", refs.Field("charges", charge, "amount").AsNumber);
            CurrencyOf(c, refs, "charges", charge);
        }
        Amount(c);
        c.Set("status", Choose(ref c.Rng, ("needs_response", 0.3), ("under_review", 0.2), ("won", 0.3), ("lost", 0.2)));
        c.Set("reason", Choose(ref c.Rng, ("fraudulent", 0.5), ("product_not_received", 0.3), ("duplicate", 0.2)));
        c.Set("is_charge_refundable", false);
        c.Set("balance_transactions", Fixed.Json(Json("[]")));
    }

    private static void Payout(ObjectContext c)
    {
        Amount(c);
        c.Set("status", Choose(ref c.Rng, ("paid", 0.8), ("pending", 0.1), ("in_transit", 0.05), ("failed", 0.05)));
        c.Set("arrival_date", c.Created + 2 * Day);
        c.Set("automatic", true);
        c.Set("method", "standard");
        c.Set("type", "bank_account");
        c.Set("source_type", "card");
        c.Set("reconciliation_status", "completed");
        c.Set("payout_method", Fixed.Null);
        c.Set("balance_transaction", Fixed.Null);
        c.Set("destination", StripeIds.New("ba_", c.Rng.Next(1 << 30), ref c.Rng));
    }

    private static void Transfer(ObjectContext c)
    {
        Amount(c);
        c.Set("amount_reversed", 0);
        c.Set("reversed", false);
        c.Set("source_type", "card");
        c.Set("transfer_group", Fixed.Null);
        c.Set("source_transaction", Fixed.Null);
        c.Set("balance_transaction", Fixed.Null);
        c.Set("destination", StripeIds.New("acct_", c.Rng.Next(1 << 30), ref c.Rng));
    }

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
