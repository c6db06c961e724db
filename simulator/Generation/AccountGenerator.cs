namespace SourceStripe.Simulator.Generation;

/// <summary>
/// Generates a whole account from the options, deterministically: first every top-level object's id and creation
/// time, then (in dependency order) each object's fixed values and its children, then the JSON of every object from
/// its resource's sample (children before the parents that embed them, in parallel within a resource), then the
/// events of the last 30 days.
/// </summary>
internal sealed partial class AccountGenerator : IReferenceSource
{
    /// <summary>Top-level streams, each after the streams it references.</summary>
    private static readonly string[] RelationOrder =
    [
        "products", "coupons", "plans", "promotion_codes", "customers", "payment_intents", "charges", "balance_transactions",
        "refunds", "disputes", "payouts", "transfers", "subscriptions", "invoices", "invoice_items", "checkout_sessions",
        "prices", "tax_rates", "shipping_rates", "setup_intents", "credit_notes", "subscription_schedules", "quotes", "payment_links",
        "application_fees", "top_ups", "early_fraud_warnings", "reviews", "files", "file_links", "accounts", "issuing_cardholders",
        "issuing_cards", "issuing_authorizations", "issuing_transactions", "issuing_disputes", "radar_value_lists", "billing_meters",
        "billing_credit_grants", "tax_ids",
    ];

    /// <summary>Children before the parents that embed them; plans before the subscription items that embed them.</summary>
    private static readonly string[] WriteOrder =
    [
        "products", "coupons", "plans", "promotion_codes", "bank_accounts", Resources.Cards, "customer_balance_transactions",
        "customers", "payment_intents", "charges", "balance_transactions", "refunds", "disputes", "payouts",
        "invoice_line_items", "invoices", "invoice_items", "subscription_items", "subscriptions", "checkout_sessions_line_items",
        "checkout_sessions",
        "customer_tax_ids", "payment_methods", "prices", "tax_rates", "shipping_rates", "setup_attempts", "setup_intents", "credit_note_lines",
        "credit_notes", "subscription_schedules", "quote_line_items", "quotes", "payment_link_line_items", "payment_links",
        "application_fees_refunds", "application_fees", "payout_balance_transactions", "transfer_reversals", "transfers", "top_ups", "early_fraud_warnings",
        "reviews", "files", "file_links", "persons", "external_account_cards", "external_account_bank_accounts", "accounts",
        "issuing_cardholders", "issuing_cards", "issuing_authorizations", "issuing_transactions", "issuing_disputes", "radar_value_list_items",
        "radar_value_lists", "billing_meters", "billing_credit_grants", "tax_ids",
    ];

    private const long Day = StreamProfiles.Day;

    private readonly SimulatorOptions _options;
    private readonly DateTimeOffset _now;
    private readonly long _from;
    private readonly long _to;
    private readonly Dictionary<string, Drafts> _drafts = [];
    private long _sequence;

    private AccountGenerator(SimulatorOptions options)
    {
        _options = options;
        _sequence = options.FirstSequence;
        _now = options.ClockOrSystem();
        (_from, _to) = options.CreatedRange(_now);
    }

    public static SimulatorAccount Generate(SimulatorOptions options) => new AccountGenerator(options).Run();

    private SimulatorAccount Run()
    {
        foreach (var stream in RelationOrder)
        {
            // Charges and their ledger entries share the payment intents' times when they pair up one to one.
            var paired = stream is "charges" or "balance_transactions" && _options.CountOf(stream) == _options.CountOf("payment_intents");
            Skeleton(stream, paired ? "payment_intents" : stream);
        }
        PairPayments();
        foreach (var stream in RelationOrder)
        {
            var sample = Samples.For(stream);
            foreach (var draft in _drafts[stream].List)
            {
                StreamProfiles.Apply(draft.Ctx, sample, this, null);
            }
            AddChildren(stream);
        }
        LinkLatestInvoices();
        foreach (var stream in WriteOrder)
        {
            PrepareEmbedded(stream);
            WriteAll(stream);
        }
        return BuildAccount();
    }

    /// <summary>Ids and creation times (oldest first) for a top-level stream.</summary>
    private void Skeleton(string stream, string timesOf)
    {
        var times = Times(timesOf);
        var drafts = new Drafts(stream);
        var prefix = Resources.Get(stream).IdPrefix;
        for (var i = 0; i < times.Length; i++)
        {
            var rng = Rng.For(_options.Seed, "object", stream, i);
            var id = StripeIds.New(prefix, _sequence++, ref rng);
            drafts.Add(new ObjectContext(stream, id, times[i], rng), null);
        }
        _drafts[stream] = drafts;
    }

    private long[] Times(string stream)
    {
        var rng = Rng.For(_options.Seed, "times", stream, 0);
        var recentFrom = Math.Max(_from, _to - 30 * Day);
        var times = new long[Math.Max(0, _options.CountOf(stream))];
        for (var i = 0; i < times.Length; i++)
        {
            if (_options.RecentSkew <= 0 || recentFrom <= _from)
            {
                times[i] = rng.NextLong(_from, _to);
            }
            else
            {
                times[i] = rng.Chance(_options.RecentSkew) ? rng.NextLong(recentFrom, _to) : rng.NextLong(_from, recentFrom);
            }
        }
        Array.Sort(times);
        return times;
    }

    /// <summary>Charge i is paid through payment intent i and settled by balance transaction i (same creation time),
    /// when the three streams have as many objects; otherwise each charge references a random older one.</summary>
    private void PairPayments()
    {
        var intents = _drafts["payment_intents"].List;
        var charges = _drafts["charges"].List;
        var ledger = _drafts["balance_transactions"].List;
        if (intents.Count == charges.Count)
        {
            for (var i = 0; i < charges.Count; i++)
            {
                intents[i].Ctx.Set("latest_charge", charges[i].Ctx.Id);
                charges[i].Ctx.Set("payment_intent", intents[i].Ctx.Id);
            }
        }
        if (ledger.Count == charges.Count)
        {
            for (var i = 0; i < charges.Count; i++)
            {
                charges[i].Ctx.Set("balance_transaction", ledger[i].Ctx.Id);
                ledger[i].Ctx.Set("source", charges[i].Ctx.Id);
            }
        }
    }

    private void LinkLatestInvoices()
    {
        var subscriptions = _drafts["subscriptions"];
        foreach (var invoice in _drafts["invoices"].List)
        {
            if (invoice.Ctx.Text("parent.subscription_details.subscription") is { } sub && subscriptions.ById.TryGetValue(sub, out var owner))
            {
                owner.Ctx.Set("latest_invoice", invoice.Ctx.Id);
            }
        }
    }

    public string? Pick(string stream, long notAfter, ref Rng rng)
    {
        var list = _drafts[stream].List;
        if (list.Count == 0)
        {
            return null;
        }
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (list[mid].Ctx.Created <= notAfter)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return list[rng.Next(lo > 0 ? lo : list.Count)].Ctx.Id;
    }

    public Fixed Field(string stream, string id, string field)
    {
        if (!_drafts.TryGetValue(stream, out var drafts) || !drafts.ById.TryGetValue(id, out var draft))
        {
            return Fixed.Null;
        }
        if (field == "$json")
        {
            return draft.Json is { } json ? Fixed.Json(json) : Fixed.Null;
        }
        return draft.Ctx.Values.TryGetValue(field, out var value) ? value
            : field == "currency" ? Fixed.Of(draft.Ctx.Currency) : Fixed.Null;
    }

    /// <summary>A stream's objects while they are generated.</summary>
    private sealed class Drafts(string stream)
    {
        public string Stream { get; } = stream;
        public List<Draft> List { get; } = [];
        public Dictionary<string, Draft> ById { get; } = new(StringComparer.Ordinal);

        public Draft Add(ObjectContext ctx, string? parentId)
        {
            var draft = new Draft(ctx, parentId);
            List.Add(draft);
            ById.Add(ctx.Id, draft);
            return draft;
        }
    }

    private sealed class Draft(ObjectContext ctx, string? parentId)
    {
        public ObjectContext Ctx { get; } = ctx;
        public string? ParentId { get; } = parentId;
        public byte[]? Json { get; set; }
    }
}
