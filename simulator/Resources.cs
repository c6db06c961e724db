using System.Collections.Frozen;

namespace SourceStripe.Simulator;

/// <summary>How a child resource's list endpoint takes its parent's id.</summary>
public enum ParentIn
{
    /// <summary>In the path: <c>/v1/invoices/{invoice}/lines</c>.</summary>
    Path,
    /// <summary>As a required query parameter: <c>/v1/subscription_items?subscription=sub_…</c>.</summary>
    Query,
}

/// <summary>What an account must have for Stripe to answer a resource's endpoints.</summary>
public enum AccountFeature
{
    None,
    /// <summary>A Connect platform: connected accounts and their persons and external accounts.</summary>
    Connect,
    /// <summary>Stripe Issuing enabled on the account.</summary>
    Issuing,
    /// <summary>Radar for Fraud Teams: value lists.</summary>
    RadarLists,
    /// <summary>Usage-based billing: meters.</summary>
    BillingMeters,
}

/// <summary>The events Stripe emits when an object of a resource changes (null: none).</summary>
/// <param name="Created">On creation (see <see cref="Resource.CreatedByStatus"/> for those that depend on the status).</param>
/// <param name="Updated">On an update that does not move the status to one with its own type.</param>
/// <param name="Deleted">On deletion; null where Stripe cannot delete the object.</param>
/// <param name="ByStatus">An update moving the status to the key emits this type instead.</param>
public sealed record ResourceEvents(string? Created, string? Updated, string? Deleted, FrozenDictionary<string, string>? ByStatus = null)
{
    public static ResourceEvents None { get; } = new(null, null, null);
}

/// <summary>
/// One Stripe resource the simulator serves, as Stripe's API reference describes it. <paramref name="Name"/> is the
/// simulator's own key (the list path's last word, or what tells a shared endpoint apart).
/// </summary>
/// <param name="Name">The simulator's key for the resource.</param>
/// <param name="Path">The list endpoint; a child's path names its parent's id as <c>{parent}</c>.</param>
/// <param name="Object">The <c>object</c> value of its objects.</param>
/// <param name="IdPrefix">Stripe's prefix of its ids (coupons have none: their ids are chosen by the user).</param>
/// <param name="Events">The events its changes emit.</param>
/// <param name="Parent">The parent resource of a child list.</param>
/// <param name="ParentParam">The query parameter carrying the parent's id, for <see cref="ParentIn.Query"/>.</param>
/// <param name="Created">Whether the list accepts <c>created</c> filters.</param>
/// <param name="Selector">On an endpoint shared by several resources, the <c>object</c> query value that picks this one.</param>
/// <param name="Statuses">The <c>status</c> filter values the list accepts (null: no filter).</param>
/// <param name="TimeField">The field the list orders by (invoice items: <c>date</c>).</param>
/// <param name="EmbeddedIn">The parent's field that embeds the first page of this child list.</param>
/// <param name="RetrievesDeleted">Whether Stripe still retrieves a deleted object, as <c>{"id","object","deleted":true}</c>.</param>
/// <param name="ParentField">The child object's own field naming its parent (a card's <c>customer</c>), if it has one.</param>
/// <param name="Feature">What the account must have for Stripe to answer the list (<see cref="AccountFeature"/>).</param>
public sealed record Resource(
    string Name,
    string Path,
    string Object,
    string IdPrefix,
    ResourceEvents Events,
    string? Parent = null,
    string? ParentParam = null,
    bool Created = true,
    string? Selector = null,
    string[]? Statuses = null,
    string TimeField = "created",
    string? EmbeddedIn = null,
    bool RetrievesDeleted = false,
    string? ParentField = null,
    AccountFeature Feature = AccountFeature.None)
{
    public ParentIn? ParentIn => Parent is null ? null : ParentParam is null ? Simulator.ParentIn.Path : Simulator.ParentIn.Query;

    /// <summary>Whether <c>GET {Path}/{id}</c> retrieves one object (lists whose path names no parent).</summary>
    public bool Retrievable => !Path.Contains('{', StringComparison.Ordinal);

    /// <summary>The event a new object with this status announces (charges and checkout sessions say how they ended).</summary>
    public string? CreatedByStatus(string? status) => (Name, status) switch
    {
        ("charges", "failed") => "charge.failed",
        ("charges", "pending") => "charge.pending",
        ("charges", _) => "charge.succeeded",
        ("checkout_sessions", "complete") => "checkout.session.completed",
        ("checkout_sessions", "expired") => "checkout.session.expired",
        // An open session has not happened yet: Stripe has no event for it.
        ("checkout_sessions", _) => null,
        _ => Events.Created,
    };
}

/// <summary>The resources the simulator serves, from Stripe's API reference.</summary>
public static class Resources
{
    /// <summary>Card sources: listed next to bank accounts by a customer's sources endpoint.</summary>
    public const string Cards = "cards";

    private static FrozenDictionary<string, string> Map(params (string Status, string Type)[] pairs) =>
        pairs.ToFrozenDictionary(p => p.Status, p => p.Type);

    private static ResourceEvents Crud(string prefix, bool delete = true) =>
        new($"{prefix}.created", $"{prefix}.updated", delete ? $"{prefix}.deleted" : null);

    public static IReadOnlyList<Resource> All { get; } =
    [
        new("balance_transactions", "/v1/balance_transactions", "balance_transaction", "txn_", ResourceEvents.None),
        new("bank_accounts", "/v1/customers/{customer}/sources", "bank_account", "ba_",
            new("customer.source.created", "customer.source.updated", "customer.source.deleted"), Parent: "customers", Created: false,
            Selector: "bank_account"),
        new(Cards, "/v1/customers/{customer}/sources", "card", "card_",
            new("customer.source.created", "customer.source.updated", "customer.source.deleted"), Parent: "customers", Created: false,
            Selector: "card"),
        new("accounts", "/v1/accounts", "account", "acct_", new(null, "account.updated", null), Feature: AccountFeature.Connect),
        new("application_fees", "/v1/application_fees", "application_fee", "fee_", new("application_fee.created", "application_fee.refunded", null)),
        new("application_fees_refunds", "/v1/application_fees/{fee}/refunds", "fee_refund", "fr_", new(null, "application_fee.refund.updated", null),
            Parent: "application_fees", Created: false, EmbeddedIn: "refunds", ParentField: "fee"),
        new("billing_credit_grants", "/v1/billing/credit_grants", "billing.credit_grant", "credgr_test_", Crud("billing.credit_grant", delete: false),
            Created: false),
        new("billing_meters", "/v1/billing/meters", "billing.meter", "mtr_test_", Crud("billing.meter", delete: false), Created: false,
            Feature: AccountFeature.BillingMeters),
        new("credit_note_lines", "/v1/credit_notes/{credit_note}/lines", "credit_note_line_item", "cnli_", ResourceEvents.None,
            Parent: "credit_notes", Created: false, EmbeddedIn: "lines"),
        new("credit_notes", "/v1/credit_notes", "credit_note", "cn_", Crud("credit_note", delete: false)),
        new("customer_tax_ids", "/v1/customers/{customer}/tax_ids", "tax_id", "txi_", Crud("customer.tax_id"), Parent: "customers",
            Created: false, ParentField: "customer"),
        new("early_fraud_warnings", "/v1/radar/early_fraud_warnings", "radar.early_fraud_warning", "issfr_", Crud("radar.early_fraud_warning", delete: false)),
        new("external_account_bank_accounts", "/v1/accounts/{account}/external_accounts", "bank_account", "ba_", Crud("account.external_account"),
            Parent: "accounts", Created: false, Selector: "bank_account", ParentField: "account", Feature: AccountFeature.Connect),
        new("external_account_cards", "/v1/accounts/{account}/external_accounts", "card", "card_", Crud("account.external_account"),
            Parent: "accounts", Created: false, Selector: "card", ParentField: "account", Feature: AccountFeature.Connect),
        new("file_links", "/v1/file_links", "file_link", "link_", ResourceEvents.None),
        new("files", "/v1/files", "file", "file_", ResourceEvents.None),
        new("issuing_authorizations", "/v1/issuing/authorizations", "issuing.authorization", "iauth_", Crud("issuing_authorization", delete: false),
            Feature: AccountFeature.Issuing),
        new("issuing_cardholders", "/v1/issuing/cardholders", "issuing.cardholder", "ich_", Crud("issuing_cardholder", delete: false),
            Feature: AccountFeature.Issuing),
        new("issuing_cards", "/v1/issuing/cards", "issuing.card", "ic_", Crud("issuing_card", delete: false), Feature: AccountFeature.Issuing),
        new("issuing_disputes", "/v1/issuing/disputes", "issuing.dispute", "idp_", Crud("issuing_dispute", delete: false), Feature: AccountFeature.Issuing),
        new("issuing_transactions", "/v1/issuing/transactions", "issuing.transaction", "ipi_", Crud("issuing_transaction", delete: false),
            Feature: AccountFeature.Issuing),
        new("payment_link_line_items", "/v1/payment_links/{payment_link}/line_items", "item", "li_", ResourceEvents.None, Parent: "payment_links",
            Created: false),
        new("payment_links", "/v1/payment_links", "payment_link", "plink_", Crud("payment_link", delete: false), Created: false),
        // A payment method is created before it is attached; attaching it to a customer is what lists it there.
        new("payment_methods", "/v1/customers/{customer}/payment_methods", "payment_method", "pm_",
            new("payment_method.attached", "payment_method.updated", "payment_method.detached"), Parent: "customers", Created: false,
            ParentField: "customer"),
        new("payout_balance_transactions", "/v1/balance_transactions", "balance_transaction", "txn_", ResourceEvents.None, Parent: "payouts",
            ParentParam: "payout", Created: true),
        new("persons", "/v1/accounts/{account}/persons", "person", "person_", Crud("person"), Parent: "accounts", Created: false,
            ParentField: "account", Feature: AccountFeature.Connect),
        new("prices", "/v1/prices", "price", "price_", Crud("price"), RetrievesDeleted: true),
        new("quote_line_items", "/v1/quotes/{quote}/line_items", "item", "li_", ResourceEvents.None, Parent: "quotes", Created: false),
        new("quotes", "/v1/quotes", "quote", "qt_", new("quote.created", "quote.finalized", null,
            Map(("accepted", "quote.accepted"), ("canceled", "quote.canceled"), ("open", "quote.finalized"))), Created: false),
        new("radar_value_list_items", "/v1/radar/value_list_items", "radar.value_list_item", "rsli_", ResourceEvents.None, Parent: "radar_value_lists",
            ParentParam: "value_list", ParentField: "value_list", Feature: AccountFeature.RadarLists),
        new("radar_value_lists", "/v1/radar/value_lists", "radar.value_list", "rsl_", ResourceEvents.None, Feature: AccountFeature.RadarLists),
        new("reviews", "/v1/reviews", "review", "prv_", new("review.opened", "review.closed", null)),
        new("setup_attempts", "/v1/setup_attempts", "setup_attempt", "setatt_", ResourceEvents.None, Parent: "setup_intents",
            ParentParam: "setup_intent", ParentField: "setup_intent"),
        new("setup_intents", "/v1/setup_intents", "setup_intent", "seti_", new("setup_intent.created", "setup_intent.requires_action", null,
            Map(("succeeded", "setup_intent.succeeded"), ("canceled", "setup_intent.canceled"), ("requires_action", "setup_intent.requires_action")))),
        new("shipping_rates", "/v1/shipping_rates", "shipping_rate", "shr_", ResourceEvents.None),
        new("subscription_schedules", "/v1/subscription_schedules", "subscription_schedule", "sub_sched_", new("subscription_schedule.created",
            "subscription_schedule.updated", null, Map(("canceled", "subscription_schedule.canceled"), ("released", "subscription_schedule.released"),
                ("completed", "subscription_schedule.completed")))),
        new("tax_ids", "/v1/tax_ids", "tax_id", "txi_", ResourceEvents.None, Created: false),
        new("tax_rates", "/v1/tax_rates", "tax_rate", "txr_", Crud("tax_rate", delete: false)),
        new("top_ups", "/v1/topups", "topup", "tu_", new("topup.created", null, null, Map(("succeeded", "topup.succeeded"), ("failed", "topup.failed"),
            ("canceled", "topup.canceled"), ("reversed", "topup.reversed")))),
        new("transfer_reversals", "/v1/transfers/{transfer}/reversals", "transfer_reversal", "trr_", ResourceEvents.None, Parent: "transfers",
            Created: false, EmbeddedIn: "reversals", ParentField: "transfer"),
        new("charges", "/v1/charges", "charge", "ch_",
            new(null, "charge.updated", null, Map(("failed", "charge.failed"), ("pending", "charge.pending"), ("succeeded", "charge.succeeded")))),
        new("checkout_sessions", "/v1/checkout/sessions", "checkout.session", "cs_test_",
            new(null, "checkout.session.completed", null, Map(("complete", "checkout.session.completed"), ("expired", "checkout.session.expired"))),
            Statuses: ["open", "complete", "expired"]),
        new("checkout_sessions_line_items", "/v1/checkout/sessions/{session}/line_items", "item", "li_", ResourceEvents.None,
            Parent: "checkout_sessions", Created: false),
        new("coupons", "/v1/coupons", "coupon", "", Crud("coupon"), RetrievesDeleted: true),
        // Stripe documents `created` on this child list; the connector does not use it.
        new("customer_balance_transactions", "/v1/customers/{customer}/balance_transactions", "customer_balance_transaction", "cbtxn_",
            ResourceEvents.None, Parent: "customers"),
        new("customers", "/v1/customers", "customer", "cus_", Crud("customer"), RetrievesDeleted: true),
        new("disputes", "/v1/disputes", "dispute", "dp_",
            new("charge.dispute.created", "charge.dispute.updated", null, Map(("won", "charge.dispute.closed"), ("lost", "charge.dispute.closed")))),
        new("events", "/v1/events", "event", "evt_", ResourceEvents.None),
        new("invoice_items", "/v1/invoiceitems", "invoiceitem", "ii_", Crud("invoiceitem"), TimeField: "date", RetrievesDeleted: true),
        new("invoice_line_items", "/v1/invoices/{invoice}/lines", "line_item", "il_", ResourceEvents.None, Parent: "invoices",
            Created: false, EmbeddedIn: "lines"),
        new("invoices", "/v1/invoices", "invoice", "in_",
            new("invoice.created", "invoice.updated", "invoice.deleted", Map(("open", "invoice.finalized"), ("void", "invoice.voided"),
                ("paid", "invoice.paid"), ("uncollectible", "invoice.marked_uncollectible"))),
            Statuses: ["draft", "open", "paid", "uncollectible", "void"]),
        new("payment_intents", "/v1/payment_intents", "payment_intent", "pi_",
            new("payment_intent.created", "payment_intent.updated", null, Map(("canceled", "payment_intent.canceled"),
                ("succeeded", "payment_intent.succeeded"), ("processing", "payment_intent.processing"),
                ("requires_action", "payment_intent.requires_action")))),
        new("payouts", "/v1/payouts", "payout", "po_",
            new("payout.created", "payout.updated", null, Map(("canceled", "payout.canceled"), ("failed", "payout.failed"), ("paid", "payout.paid"))),
            Statuses: ["pending", "paid", "failed", "canceled", "in_transit"]),
        new("plans", "/v1/plans", "plan", "price_", Crud("plan"), RetrievesDeleted: true),
        new("products", "/v1/products", "product", "prod_", Crud("product"), RetrievesDeleted: true),
        new("promotion_codes", "/v1/promotion_codes", "promotion_code", "promo_", Crud("promotion_code", delete: false)),
        new("refunds", "/v1/refunds", "refund", "re_", Crud("refund", delete: false)),
        new("subscription_items", "/v1/subscription_items", "subscription_item", "si_", ResourceEvents.None, Parent: "subscriptions",
            ParentParam: "subscription", Created: false, EmbeddedIn: "items"),
        new("subscriptions", "/v1/subscriptions", "subscription", "sub_",
            new("customer.subscription.created", "customer.subscription.updated", "customer.subscription.deleted",
                Map(("canceled", "customer.subscription.deleted"), ("paused", "customer.subscription.paused"))),
            Statuses: ["active", "all", "canceled", "ended", "incomplete", "incomplete_expired", "past_due", "paused", "trialing", "unpaid"]),
        new("transfers", "/v1/transfers", "transfer", "tr_", Crud("transfer", delete: false)),
    ];

    private static readonly FrozenDictionary<string, Resource> ByName = All.ToFrozenDictionary(r => r.Name);

    /// <summary>The resources a capture can list.</summary>
    public static IEnumerable<Resource> Listed => All;

    public static Resource? Find(string name) => ByName.GetValueOrDefault(name);

    public static Resource Get(string name) =>
        ByName.TryGetValue(name, out var resource) ? resource : throw new ArgumentException($"Unknown resource '{name}'.", nameof(name));

    /// <summary>The resources whose list path names this one as their parent.</summary>
    public static IEnumerable<Resource> ChildrenOf(string parent) => All.Where(r => r.Parent == parent);
}
