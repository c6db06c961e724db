namespace SourceStripe.Simulator.Generation;

/// <summary>Money movements: balance transactions, payment intents, charges, refunds, disputes, payouts and transfers.</summary>
internal static partial class StreamProfiles
{
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

    /// <summary>Ties a refund or dispute to a charge made before it, with the charge's payment intent and currency; null when there is none.</summary>
    private static string? OfCharge(ObjectContext c, IReferenceSource refs)
    {
        var charge = refs.Pick("charges", c.Created, ref c.Rng);
        c.Set("charge", charge);
        if (charge is not null)
        {
            c.Set("payment_intent", refs.Field("charges", charge, "payment_intent").Text);
            CurrencyOf(c, refs, "charges", charge);
        }
        return charge;
    }

    private static void Refund(ObjectContext c, IReferenceSource refs)
    {
        if (OfCharge(c, refs) is { } charge)
        {
            c.Set("customer", refs.Field("charges", charge, "customer").Text);
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
        if (OfCharge(c, refs) is { } charge)
        {
            Keep(c, "amount", refs.Field("charges", charge, "amount").AsNumber);
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
}
