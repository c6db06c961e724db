using System.Collections.Frozen;

namespace SourceStripe.Simulator.Generation;

/// <summary>What kind of realistic value a property gets, chosen once per property from its name and type.</summary>
internal enum ValueRule
{
    ByKind,
    Null,
    Id,
    ObjectName,
    Currency,
    Email,
    PersonName,
    CompanyName,
    ProductName,
    Phone,
    Country,
    City,
    Line1,
    Line2,
    PostalCode,
    State,
    Url,
    Description,
    Status,
    Type,
    Last4,
    Fingerprint,
    Decimal,
    Brand,
    Interval,
    Code,
    StatementDescriptor,
    ClientSecret,
    Locale,
    PaymentMethodId,
    PaymentMethodType,
    RoutingNumber,
    BankName,
    Created,
    Timestamp,
    Amount,
    Quantity,
    Count,
    One,
    ExpMonth,
    ExpYear,
    Days,
    Hour,
    Minute,
    Month,
    DayOfMonth,
    Funding,
    Token,
    /// <summary>A nested string naming another Stripe object by id (a line's <c>price</c>, a detail's <c>invoice</c>).</summary>
    ForeignId,
    Percent,
    ExchangeRate,
    False,
    MostlyTrue,
    Metadata,
}

/// <summary>Chooses a <see cref="ValueRule"/> for a property from its name, kind and owning Stripe type.</summary>
internal static class ValueRules
{
    /// <summary>Fields Stripe leaves null on a typical object (failures, cancellations, Connect, optional features).</summary>
    private static readonly FrozenSet<string> UsuallyNull = FrozenSet.ToFrozenSet(
    [
        "failure_code", "failure_message", "failure_reason", "failure_balance_transaction", "cancellation_reason",
        "canceled_at", "ended_at", "cancel_at", "next_action", "last_finalization_error", "last_payment_error", "deleted",
        "test_clock", "pause_collection", "pending_update", "on_behalf_of", "application", "application_fee",
        "application_fee_amount", "application_fee_percent", "review", "transfer_data", "customer_account", "discount",
        "schedule", "source_transfer", "source_transfer_reversal", "transfer_reversal", "reversed_by", "original_payout",
        "pending_setup_intent", "latest_revision", "from_invoice", "payment_record", "payment_link", "setup_intent",
        "recovered_from", "tax_code", "meter", "decline_code", "advice_code", "network_advice_code", "network_decline_code",
        "tiers", "tiers_mode", "transform_usage", "transform_quantity", "custom_unit_amount", "billing_thresholds",
        "threshold_reason", "lookup_key", "default_source", "failure_balance_transaction", "source", "unit_label",
        "managed_payments", "billing_schedules", "trial_start", "trial_end", "redeem_by", "duration_in_months",
        "max_redemptions", "expires_at", "canceled_by", "replacement", "replaces", "destination_payment",
    ]);

    private static readonly FrozenSet<string> Timestamps = FrozenSet.ToFrozenSet(
    [
        "date", "available_on", "billing_cycle_anchor", "start", "end", "period_start", "period_end", "next_payment_attempt",
        "current_period_start", "current_period_end", "start_date", "due_date", "arrival_date", "billed_until", "expires",
    ]);

    private static readonly FrozenSet<string> Amounts = FrozenSet.ToFrozenSet(
    [
        "total", "subtotal", "subtotal_excluding_tax", "total_excluding_tax", "fee", "net", "balance", "ending_balance",
        "starting_balance", "tax", "unit_amount", "flat_amount",
    ]);

    private static readonly FrozenSet<string> MostlyTrueNames = FrozenSet.ToFrozenSet(
        ["active", "paid", "captured", "valid", "discountable", "automatic", "auto_advance", "attempted", "enabled"]);

    public static ValueRule Select(string name, NodeKind kind, string? def)
    {
        if (UsuallyNull.Contains(name))
        {
            return ValueRule.Null;
        }
        return kind switch
        {
            NodeKind.String => ForString(name, def),
            NodeKind.Integer => ForInteger(name),
            NodeKind.Number => name.Contains("percent", StringComparison.Ordinal) ? ValueRule.Percent
                : name == "exchange_rate" ? ValueRule.ExchangeRate : ValueRule.Percent,
            NodeKind.Boolean => name == "livemode" ? ValueRule.False
                : MostlyTrueNames.Contains(name) ? ValueRule.MostlyTrue : ValueRule.ByKind,
            NodeKind.Map => name == "metadata" ? ValueRule.Metadata : ValueRule.ByKind,
            NodeKind.Expandable when name is "payment_method" or "default_payment_method" => ValueRule.PaymentMethodId,
            NodeKind.Array => ForString(name, def) switch
            {
                ValueRule.PaymentMethodType or ValueRule.Locale or ValueRule.Url or ValueRule.Null => ForString(name, def),
                _ => ValueRule.ByKind,
            },
            _ => ValueRule.ByKind,
        };
    }

    private static ValueRule ForString(string name, string? def)
    {
        switch (name)
        {
            case "id": return ValueRule.Id;
            case "object": return ValueRule.ObjectName;
            case "name" when def is "Product" or "Plan" or "Price" or "Coupon":
            case "nickname":
                return ValueRule.ProductName;
            case "name" or "account_holder_name" or "customer_name" or "individual_name" or "cardholder_name":
                return ValueRule.PersonName;
            case "business_name" or "account_name" or "company":
                return ValueRule.CompanyName;
            case "city": return ValueRule.City;
            case "line1": return ValueRule.Line1;
            case "line2": return ValueRule.Line2;
            case "postal_code": return ValueRule.PostalCode;
            case "state": return ValueRule.State;
            case "description": return ValueRule.Description;
            case "status": return ValueRule.Status;
            case "type": return ValueRule.Type;
            case "last4" or "dynamic_last4": return ValueRule.Last4;
            case "fingerprint": return ValueRule.Fingerprint;
            case "brand" or "network": return ValueRule.Brand;
            case "interval": return ValueRule.Interval;
            case "number" or "receipt_number" or "code" or "invoice_prefix" or "authorization_code": return ValueRule.Code;
            case "client_secret": return ValueRule.ClientSecret;
            case "locale" or "preferred_locales": return ValueRule.Locale;
            case "payment_method": return ValueRule.PaymentMethodId;
            case "routing_number": return ValueRule.RoutingNumber;
            case "bank_name": return ValueRule.BankName;
            case "url" or "invoice_pdf": return ValueRule.Url;
            case "funding": return ValueRule.Funding;
        }
        if (name == "currency" || name.EndsWith("_currency", StringComparison.Ordinal))
        {
            return ValueRule.Currency;
        }
        if (name.Contains("email", StringComparison.Ordinal))
        {
            return ValueRule.Email;
        }
        if (name.Contains("phone", StringComparison.Ordinal))
        {
            return ValueRule.Phone;
        }
        if (name == "country" || name.EndsWith("_country", StringComparison.Ordinal))
        {
            return ValueRule.Country;
        }
        if (name.EndsWith("_url", StringComparison.Ordinal))
        {
            return ValueRule.Url;
        }
        if (name.EndsWith("_decimal", StringComparison.Ordinal))
        {
            return ValueRule.Decimal;
        }
        if (name.Contains("statement_descriptor", StringComparison.Ordinal))
        {
            return ValueRule.StatementDescriptor;
        }
        if (StripeObjects.IdPrefixOfField(name) is not null)
        {
            return ValueRule.ForeignId;
        }
        if (name.EndsWith("_id", StringComparison.Ordinal) || name.EndsWith("_number", StringComparison.Ordinal) || name == "iin")
        {
            return ValueRule.Token;
        }
        return name.Contains("payment_method_type", StringComparison.Ordinal) ? ValueRule.PaymentMethodType : ValueRule.ByKind;
    }

    private static ValueRule ForInteger(string name)
    {
        if (name == "created")
        {
            return ValueRule.Created;
        }
        if (Timestamps.Contains(name) || name.EndsWith("_at", StringComparison.Ordinal)
            || name.EndsWith("_date", StringComparison.Ordinal) || name.EndsWith("_until", StringComparison.Ordinal))
        {
            return ValueRule.Timestamp;
        }
        if (name == "exp_month")
        {
            return ValueRule.ExpMonth;
        }
        if (name == "exp_year")
        {
            return ValueRule.ExpYear;
        }
        if (Amounts.Contains(name) || name.Contains("amount", StringComparison.Ordinal))
        {
            return ValueRule.Amount;
        }
        if (name is "quantity" or "interval_count" or "next_invoice_sequence")
        {
            return name == "quantity" ? ValueRule.Quantity : ValueRule.One;
        }
        if (name.EndsWith("_count", StringComparison.Ordinal) || name == "times_redeemed")
        {
            return ValueRule.Count;
        }
        return name switch
        {
            "hour" => ValueRule.Hour,
            "minute" or "second" => ValueRule.Minute,
            "month" => ValueRule.Month,
            "day_of_month" or "day" => ValueRule.DayOfMonth,
            _ => name.Contains("days", StringComparison.Ordinal) ? ValueRule.Days : ValueRule.ByKind,
        };
    }
}
