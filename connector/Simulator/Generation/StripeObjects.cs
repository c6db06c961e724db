using System.Collections.Frozen;

namespace SourceStripe.Simulator.Generation;

/// <summary>Stripe's names for things: object names, id prefixes, and which field names reference which stream.</summary>
internal static class StripeObjects
{
    /// <summary>The hidden collection of card sources (not a stream) that shares the sources endpoint with bank accounts.</summary>
    public const string Cards = "$cards";

    private static readonly FrozenDictionary<string, (string Object, string Prefix)> Streams =
        new Dictionary<string, (string, string)>
        {
            ["balance_transactions"] = ("balance_transaction", "txn_"),
            ["bank_accounts"] = ("bank_account", "ba_"),
            ["charges"] = ("charge", "ch_"),
            ["checkout_sessions"] = ("checkout.session", "cs_test_"),
            ["checkout_sessions_line_items"] = ("item", "li_"),
            ["coupons"] = ("coupon", ""),
            ["customer_balance_transactions"] = ("customer_balance_transaction", "cbtxn_"),
            ["customers"] = ("customer", "cus_"),
            ["disputes"] = ("dispute", "dp_"),
            ["events"] = ("event", "evt_"),
            ["invoice_items"] = ("invoiceitem", "ii_"),
            ["invoice_line_items"] = ("line_item", "il_"),
            ["invoices"] = ("invoice", "in_"),
            ["payment_intents"] = ("payment_intent", "pi_"),
            ["payouts"] = ("payout", "po_"),
            ["plans"] = ("plan", "price_"),
            ["products"] = ("product", "prod_"),
            ["promotion_codes"] = ("promotion_code", "promo_"),
            ["refunds"] = ("refund", "re_"),
            ["subscription_items"] = ("subscription_item", "si_"),
            ["subscriptions"] = ("subscription", "sub_"),
            ["transfers"] = ("transfer", "tr_"),
            [Cards] = ("card", "card_"),
        }.ToFrozenDictionary();

    /// <summary>Nested Stripe objects (by Stripe.net type name) whose object name or id prefix is not the snake_case rule.</summary>
    private static readonly FrozenDictionary<string, (string Object, string Prefix)> Defs =
        new Dictionary<string, (string, string)>
        {
            ["Price"] = ("price", "price_"),
            ["Plan"] = ("plan", "price_"),
            ["Product"] = ("product", "prod_"),
            ["TaxRate"] = ("tax_rate", "txr_"),
            ["Discount"] = ("discount", "di_"),
            ["Coupon"] = ("coupon", ""),
            ["PromotionCode"] = ("promotion_code", "promo_"),
            ["Customer"] = ("customer", "cus_"),
            ["PaymentMethod"] = ("payment_method", "pm_"),
            ["Card"] = ("card", "card_"),
            ["BankAccount"] = ("bank_account", "ba_"),
            ["Source"] = ("source", "src_"),
            ["SetupIntent"] = ("setup_intent", "seti_"),
            ["PaymentIntent"] = ("payment_intent", "pi_"),
            ["Charge"] = ("charge", "ch_"),
            ["Invoice"] = ("invoice", "in_"),
            ["InvoiceItem"] = ("invoiceitem", "ii_"),
            ["InvoiceLineItem"] = ("line_item", "il_"),
            ["LineItem"] = ("item", "li_"),
            ["Subscription"] = ("subscription", "sub_"),
            ["SubscriptionItem"] = ("subscription_item", "si_"),
            ["Refund"] = ("refund", "re_"),
            ["Dispute"] = ("dispute", "dp_"),
            ["TaxId"] = ("tax_id", "txi_"),
            ["Account"] = ("account", "acct_"),
            ["Application"] = ("application", "ca_"),
            ["File"] = ("file", "file_"),
            ["Review"] = ("review", "prv_"),
            ["Transfer"] = ("transfer", "tr_"),
            ["TransferReversal"] = ("transfer_reversal", "trr_"),
            ["Mandate"] = ("mandate", "mandate_"),
            ["CreditNote"] = ("credit_note", "cn_"),
            ["Checkout.Session"] = ("checkout.session", "cs_test_"),
        }.ToFrozenDictionary();

    /// <summary>Top-level expandable fields that name an object of a simulated stream.</summary>
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

    /// <summary>Expandable fields that name an object the simulator does not list but Stripe would always fill.</summary>
    private static readonly FrozenDictionary<string, string> ForeignPrefixes =
        new Dictionary<string, string>
        {
            ["payment_method"] = "pm_",
        }.ToFrozenDictionary();

    /// <summary>Fields that name another object by id, beyond the simulated streams' references.</summary>
    private static readonly FrozenDictionary<string, string> FieldPrefixes =
        new Dictionary<string, string>
        {
            ["price"] = "price_",
            ["invoice_item"] = "ii_",
            ["subscription_item"] = "si_",
            ["promotion_code"] = "promo_",
            ["payment_method"] = "pm_",
            ["tax_rate"] = "txr_",
            ["credit_note"] = "cn_",
            ["setup_intent"] = "seti_",
            ["mandate"] = "mandate_",
        }.ToFrozenDictionary();

    /// <summary>The id prefix of the object a field of this name holds the id of, or null.</summary>
    public static string? IdPrefixOfField(string field) =>
        FieldPrefixes.TryGetValue(field, out var prefix) ? prefix
        : References.TryGetValue(field, out var stream) ? Streams[stream].Prefix : null;

    public static string ObjectName(string stream) => Streams[stream].Object;

    public static string IdPrefix(string stream) => Streams[stream].Prefix;

    /// <summary>The stream a top-level field references, or null.</summary>
    public static string? ReferencedStream(string field) => References.GetValueOrDefault(field);

    /// <summary>The id prefix of a foreign object Stripe always names in this field, or null.</summary>
    public static string? ForeignPrefix(string field) => ForeignPrefixes.GetValueOrDefault(field);

    /// <summary>The <c>object</c> value of a nested Stripe object of this Stripe.net type.</summary>
    public static string DefObjectName(string? def) =>
        def is null ? "object" : Defs.TryGetValue(def, out var known) ? known.Object : SnakeCase(def);

    /// <summary>The id prefix of a nested Stripe object of this Stripe.net type.</summary>
    public static string DefIdPrefix(string? def)
    {
        if (def is null)
        {
            return "obj_";
        }
        if (Defs.TryGetValue(def, out var known))
        {
            return known.Prefix;
        }
        Span<char> initials = stackalloc char[8];
        var n = 0;
        foreach (var c in def)
        {
            if (char.IsUpper(c) && n < initials.Length)
            {
                initials[n++] = char.ToLowerInvariant(c);
            }
        }
        return n == 0 ? "obj_" : new string(initials[..n]) + "_";
    }

    private static string SnakeCase(string def)
    {
        var text = def.Replace(".", "", StringComparison.Ordinal);
        var builder = new System.Text.StringBuilder(text.Length + 4);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsUpper(text[i]) && i > 0)
            {
                builder.Append('_');
            }
            builder.Append(char.ToLowerInvariant(text[i]));
        }
        return builder.ToString();
    }
}
