namespace SourceStripe.Simulator.Generation;

/// <summary>Customers, catalog and billing objects.</summary>
internal static partial class StreamProfiles
{
    private static void Customer(ObjectContext c)
    {
        c.Set("email", SampleData.Email(c.Person));
        c.Set("name", SampleData.FullName(c.Person));
        c.Set("description", $"Customer {SampleData.FullName(c.Person)}");
        c.Set("delinquent", c.Rng.Chance(0.05));
        c.Set("tax_exempt", "none");
        c.Set("business_name", Fixed.Null);
        c.Set("individual_name", Fixed.Null);
        Keep(c, "balance", 0);
        c.Set("next_invoice_sequence", 1 + c.Rng.Next(0, 20));
        c.Set("preferred_locales", Fixed.Json(Json("[\"en\"]")));
        c.Set("invoice_credit_balance", Fixed.Json(Json("{}")));
    }

    private static void BankAccount(ObjectContext c, string customer)
    {
        c.Set("customer", customer);
        c.Set("account", Fixed.Null);
        c.Set("account_holder_name", SampleData.FullName(c.Person));
        c.Set("account_holder_type", c.Rng.Chance(0.8) ? "individual" : "company");
        c.Set("account_type", "checking");
        c.Set("available_payout_methods", Fixed.Null);
        c.Set("country", "US");
        c.Set("currency", "usd");
        c.Set("default_for_currency", Fixed.Null);
        c.Set("status", Choose(ref c.Rng, ("new", 0.3), ("validated", 0.2), ("verified", 0.5)));
        c.Set("future_requirements", Fixed.Null);
        c.Set("requirements", Fixed.Null);
    }

    private static void Card(ObjectContext c, string customer)
    {
        var place = SampleData.Place(c.Person);
        c.Set("customer", customer);
        c.Set("name", SampleData.FullName(c.Person));
        c.Set("address_city", place.City);
        c.Set("address_country", place.Country);
        c.Set("address_state", place.State);
        c.Set("address_zip", place.Postal);
        c.Set("country", place.Country);
        c.Set("brand", c.Rng.Pick(["Visa", "MasterCard", "American Express"]));
        c.Set("exp_month", c.Rng.Next(1, 12));
        c.Set("exp_year", c.Rng.Next(2027, 2032));
    }

    private static void CustomerBalanceTransaction(ObjectContext c, string customer)
    {
        c.Set("customer", customer);
        Keep(c, "amount", (c.Rng.Chance(0.5) ? -1 : 1) * StripeObjects.Amount(ref c.Rng));
        c.Set("type", Choose(ref c.Rng, ("adjustment", 0.6), ("applied_to_invoice", 0.2), ("credit_note", 0.2)));
        Keep(c, "ending_balance", c.Number("amount")!.Value);
        c.Set("credit_note", Fixed.Null);
        c.Set("invoice", Fixed.Null);
        c.Set("checkout_session", Fixed.Null);
    }

    private static void Product(ObjectContext c)
    {
        c.Set("name", c.Rng.Pick(SampleData.Products));
        c.Set("active", c.Rng.Chance(0.9));
        c.Set("type", "service");
        c.Set("default_price", Fixed.Null);
        c.Set("images", Fixed.Json(Json($"[\"https://example.com/images/{c.Id}.png\"]")));
        c.Set("marketing_features", Fixed.Json(Json("[]")));
        c.Set("updated", c.Created + c.Rng.NextLong(0, 10 * Day));
        c.Set("url", Fixed.Null);
        c.Set("shippable", Fixed.Null);
        c.Set("statement_descriptor", Fixed.Null);
        c.Set("package_dimensions", Fixed.Null);
    }

    private static void Plan(ObjectContext c)
    {
        var amount = Amount(c);
        c.Set("amount_decimal", amount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        c.Set("active", true);
        c.Set("billing_scheme", "per_unit");
        c.Set("usage_type", "licensed");
        c.Set("interval", c.Rng.Pick(SampleData.Intervals));
        c.Set("interval_count", 1);
        c.Set("trial_period_days", Fixed.Null);
        c.Set("nickname", c.Rng.Pick(SampleData.Products));
    }

    private static void Coupon(ObjectContext c)
    {
        var percent = c.Rng.Chance(0.6);
        c.Set("percent_off", percent ? Fixed.Of(5 * c.Rng.Next(1, 10)) : Fixed.Null);
        c.Set("amount_off", percent ? Fixed.Null : Fixed.Of(100 * c.Rng.Next(1, 50)));
        if (percent)
        {
            c.Set("currency", Fixed.Null);
        }
        var duration = Choose(ref c.Rng, ("once", 0.5), ("repeating", 0.3), ("forever", 0.2));
        c.Set("duration", duration);
        c.Set("duration_in_months", duration == "repeating" ? Fixed.Of(c.Rng.Next(1, 12)) : Fixed.Null);
        c.Set("valid", true);
        c.Set("applies_to", Fixed.Null);
        c.Set("currency_options", Fixed.Null);
        c.Set("name", $"{(percent ? "Percent" : "Amount")} discount");
    }

    private static void PromotionCode(ObjectContext c, IReferenceSource refs)
    {
        c.Set("promotion.type", "coupon");
        c.Set("promotion.coupon", refs.Pick("coupons", c.Created, ref c.Rng));
        c.Set("active", c.Rng.Chance(0.9));
        c.Set("customer", Fixed.Null);
    }

    private static void Subscription(ObjectContext c)
    {
        var status = c.Text("status") ?? Choose(ref c.Rng,
            ("active", 0.7), ("trialing", 0.05), ("past_due", 0.08), ("canceled", 0.15), ("incomplete", 0.02));
        c.Set("status", status);
        c.Set("collection_method", "charge_automatically");
        c.Set("start_date", c.Created);
        c.Set("billing_cycle_anchor", c.Created);
        c.Set("cancel_at_period_end", false);
        c.Set("description", Fixed.Null);
        c.Set("days_until_due", Fixed.Null);
        c.Set("trial_start", status == "trialing" ? Fixed.Of(c.Created) : Fixed.Null);
        c.Set("trial_end", status == "trialing" ? Fixed.Of(c.Created + 14 * Day) : Fixed.Null);
        var ended = status == "canceled" ? Fixed.Of(c.Created + c.Rng.NextLong(Day, 90 * Day)) : Fixed.Null;
        c.Set("canceled_at", ended);
        c.Set("ended_at", ended);
        c.Set("cancellation_details", status == "canceled"
            ? Fixed.Json(Json("""{"comment":null,"feedback":"too_expensive","reason":"cancellation_requested"}"""))
            : Fixed.Json(Json("""{"comment":null,"feedback":null,"reason":null}""")));
        Keep(c, "latest_invoice", (string?)null);
        if (!c.Has("items"))
        {
            c.Set("items", Fixed.Json(EmbeddedList.Build([], EmbeddedList.Url(Resources.Get("subscription_items"), c.Id))));
        }
    }

    private static void SubscriptionItem(ObjectContext c, IReferenceSource refs, string subscription)
    {
        c.Set("subscription", subscription);
        c.Set("quantity", c.Rng.Next(1, 3));
        c.Set("deleted", Fixed.Null);
        c.Set("discounts", Fixed.Json(Json("[]")));
        c.Set("current_period_start", c.Created);
        c.Set("current_period_end", c.Created + 30 * Day);
        if (refs.Pick("plans", long.MaxValue, ref c.Rng) is { } plan)
        {
            // While an account is generated the plan is not written yet: the generator embeds it later.
            c.Set("$plan", plan);
            if (refs.Field("plans", plan, "$json").Raw is { } planJson)
            {
                c.Set("plan", Fixed.Json(planJson));
            }
            c.Set("price.id", plan);
            c.Set("price.object", "price");
            c.Set("price.product", refs.Field("plans", plan, "product").Text);
            c.Set("price.unit_amount", refs.Field("plans", plan, "amount"));
            c.Set("price.currency", refs.Field("plans", plan, "currency"));
            c.Set("price.recurring.interval", refs.Field("plans", plan, "interval"));
            c.Set("price.type", "recurring");
        }
    }

    private static void Invoice(ObjectContext c, IReferenceSource refs)
    {
        if (!c.Has("subscription") && c.Rng.Chance(0.7))
        {
            c.Set("subscription", refs.Pick("subscriptions", c.Created, ref c.Rng));
        }
        var subscription = c.Text("subscription");
        if (subscription is not null)
        {
            Keep(c, "customer", refs.Field("subscriptions", subscription, "customer").Text);
            CurrencyOf(c, refs, "subscriptions", subscription);
            c.Set("parent.type", "subscription_details");
            c.Set("parent.subscription_details.subscription", subscription);
        }
        else
        {
            c.Set("parent", Fixed.Null);
        }
        Keep(c, "customer", refs.Pick("customers", c.Created, ref c.Rng));
        var customer = c.Text("customer");
        c.Set("customer_email", customer is null ? null : refs.Field("customers", customer, "email").Text);
        c.Set("customer_name", customer is null ? null : refs.Field("customers", customer, "name").Text);
        var status = c.Text("status") ?? Choose(ref c.Rng,
            ("paid", 0.7), ("open", 0.15), ("draft", 0.05), ("void", 0.05), ("uncollectible", 0.05));
        c.Set("status", status);
        SetInvoiceTotals(c, c.Number("total") ?? 0);
        c.Set("amount_overpaid", 0);
        c.Set("amount_shipping", 0);
        c.Set("amount_paid_off_stripe", 0);
        c.Set("starting_balance", 0);
        c.Set("ending_balance", status == "draft" ? Fixed.Null : Fixed.Of(0));
        c.Set("attempted", status is "paid" or "uncollectible");
        c.Set("auto_advance", status is "draft" or "open");
        c.Set("billing_reason", subscription is null ? "manual" : "subscription_cycle");
        c.Set("collection_method", "charge_automatically");
        c.Set("number", status == "draft" ? null : $"{StripeIds.Random(ref c.Rng, 8, "ABCDEF0123456789")}-{c.Rng.Next(1, 999):D4}");
        c.Set("hosted_invoice_url", status == "draft" ? null : $"https://invoice.stripe.com/i/{c.Id}");
        c.Set("invoice_pdf", status == "draft" ? null : $"https://pay.stripe.com/invoice/{c.Id}/pdf");
        c.Set("period_start", c.Created - 30 * Day);
        c.Set("period_end", c.Created);
        c.Set("due_date", Fixed.Null);
        c.Set("effective_at", status == "draft" ? Fixed.Null : Fixed.Of(c.Created + 3600));
        c.Set("payments", Fixed.Null);
        if (!c.Has("lines"))
        {
            c.Set("lines", Fixed.Json(EmbeddedList.Build([], EmbeddedList.Url(Resources.Get("invoice_line_items"), c.Id))));
        }
    }

    /// <summary>An invoice's amounts follow its lines: the total is their sum, paid in full when the invoice is paid.</summary>
    internal static void SetInvoiceTotals(ObjectContext c, long total)
    {
        var paid = c.Text("status") == "paid" ? total : 0;
        foreach (var field in (string[])["total", "subtotal", "total_excluding_tax", "subtotal_excluding_tax", "amount_due"])
        {
            c.Set(field, total);
        }
        c.Set("amount_paid", paid);
        c.Set("amount_remaining", total - paid);
    }

    private static void InvoiceLine(ObjectContext c, IReferenceSource refs, string invoice)
    {
        c.Set("invoice", invoice);
        CurrencyOf(c, refs, "invoices", invoice);
        var amount = Amount(c);
        c.Set("subtotal", amount);
        c.Set("quantity", 1);
        c.Set("quantity_decimal", "1");
        c.Set("discountable", true);
        c.Set("subscription", refs.Field("invoices", invoice, "parent.subscription_details.subscription").Text);
        c.Set("period.start", c.Created - 30 * Day);
        c.Set("period.end", c.Created);
    }

    private static void InvoiceItem(ObjectContext c, IReferenceSource refs)
    {
        var invoice = c.Rng.Chance(0.7) ? refs.Pick("invoices", c.Created, ref c.Rng) : null;
        c.Set("invoice", invoice);
        if (invoice is not null)
        {
            c.Set("customer", refs.Field("invoices", invoice, "customer").Text);
            CurrencyOf(c, refs, "invoices", invoice);
        }
        c.Set("date", c.Created);
        var amount = Amount(c);
        c.Set("net_amount", amount);
        c.Set("quantity", 1);
        c.Set("quantity_decimal", "1");
        c.Set("discountable", true);
        c.Set("proration", false);
        c.Set("parent", Fixed.Null);
        c.Set("period.start", c.Created);
        c.Set("period.end", c.Created + 30 * Day);
        c.Set("discounts", Fixed.Json(Json("[]")));
    }
}
