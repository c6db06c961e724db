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
    bool RetrievesDeleted = false)
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

    /// <summary>The resources a capture can list (every one but the card sources, which share bank accounts' endpoint).</summary>
    public static IEnumerable<Resource> Listed => All.Where(r => r.Name != Cards);

    public static Resource? Find(string name) => ByName.GetValueOrDefault(name);

    public static Resource Get(string name) =>
        ByName.TryGetValue(name, out var resource) ? resource : throw new ArgumentException($"Unknown resource '{name}'.", nameof(name));

    /// <summary>The resources whose list path names this one as their parent.</summary>
    public static IEnumerable<Resource> ChildrenOf(string parent) => All.Where(r => r.Parent == parent);
}
