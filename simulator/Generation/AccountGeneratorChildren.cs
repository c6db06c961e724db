using System.Buffers;
using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>Children, JSON writing, and the finished account with its events.</summary>
internal sealed partial class AccountGenerator
{
    private void AddChildren(string parentStream)
    {
        switch (parentStream)
        {
            case "customers":
                Children(parentStream, "bank_accounts", (_, rng) => rng.Next(0, 3), (p, k) => After(p, (k + 1) * 60));
                Children(parentStream, Resources.Cards, (_, rng) => rng.Next(0, 2), (p, k) => After(p, (k + 1) * 60 + 30));
                AddCustomerBalanceTransactions();
                Children(parentStream, "customer_tax_ids", (_, rng) => rng.Next(0, 2), (p, k) => After(p, (k + 1) * 90));
                Children(parentStream, "payment_methods", (_, rng) => rng.Next(0, 3), (p, k) => After(p, (k + 1) * 45));
                break;
            case "accounts":
                Children(parentStream, "persons", (_, rng) => rng.Next(1, 4), (p, k) => After(p, (k + 1) * 60));
                Children(parentStream, "external_account_cards", (_, rng) => rng.Next(0, 2), (p, k) => After(p, (k + 1) * 120));
                Children(parentStream, "external_account_bank_accounts", (_, rng) => rng.Next(1, 3), (p, k) => After(p, (k + 1) * 150));
                break;
            case "application_fees":
                Children(parentStream, "application_fees_refunds", (_, rng) => rng.Chance(0.3) ? rng.Next(1, 3) : 0, (p, k) => After(p, (k + 1) * 3600));
                break;
            case "credit_notes":
                Children(parentStream, "credit_note_lines", (_, rng) => rng.Next(1, 4), (p, _) => p.Created);
                break;
            case "quotes":
                Children(parentStream, "quote_line_items", (_, rng) => rng.Next(1, 4), (p, _) => p.Created);
                break;
            case "payment_links":
                Children(parentStream, "payment_link_line_items", (_, rng) => rng.Next(1, 3), (p, _) => p.Created);
                break;
            case "payouts":
                Children(parentStream, "payout_balance_transactions", (_, rng) => rng.Next(1, 5), (p, k) => Before(p, (k + 1) * 3600));
                break;
            case "setup_intents":
                Children(parentStream, "setup_attempts", (_, rng) => rng.Next(1, 3), (p, k) => After(p, (k + 1) * 5));
                break;
            case "radar_value_lists":
                Children(parentStream, "radar_value_list_items", (_, rng) => rng.Next(1, 6), (p, k) => After(p, (k + 1) * 600));
                break;
            case "transfers":
                Children(parentStream, "transfer_reversals", (_, rng) => rng.Chance(0.25) ? 1 : 0, (p, k) => After(p, (k + 1) * 86_400));
                break;
            case "checkout_sessions":
                Children(parentStream, "checkout_sessions_line_items", (_, rng) => rng.Next(1, 3), (p, _) => p.Created);
                SumInto(parentStream, "checkout_sessions_line_items", "amount_total", StreamProfiles.SetCheckoutTotals);
                break;
            case "invoices":
                Children(parentStream, "invoice_line_items", (i, rng) => Spread(i, _drafts[parentStream].List.Count, ref rng, 25, 10), (p, _) => p.Created);
                SumInto(parentStream, "invoice_line_items", "amount", StreamProfiles.SetInvoiceTotals);
                break;
            case "subscriptions":
                Children(parentStream, "subscription_items", (i, rng) => Spread(i, _drafts[parentStream].List.Count, ref rng, 13, 3), (p, _) => p.Created);
                break;
        }
    }

    /// <summary>How many children the i-th parent (oldest first) gets: the newest three get max, 11 and exactly 10,
    /// so that every account has a parent whose embedded first page is full, one just over it and one at it.</summary>
    private static int Spread(int index, int parents, ref Rng rng, int max, int usual)
    {
        var fromNewest = parents - 1 - index;
        return fromNewest switch
        {
            0 => max,
            1 => 11,
            2 => 10,
            _ => rng.Chance(0.8) ? rng.Next(1, usual) : rng.Next(usual + 1, max),
        };
    }

    private delegate int ChildCount(int parentIndex, Rng rng);

    private void Children(string parentStream, string childStream, ChildCount count, Func<ObjectContext, int, long> created)
    {
        var drafts = new Drafts(childStream);
        var sample = Samples.For(childStream);
        var prefix = Resources.Get(childStream).IdPrefix;
        var parents = _drafts[parentStream].List;
        var index = 0;
        for (var p = 0; p < parents.Count; p++)
        {
            var parent = parents[p].Ctx;
            var n = count(p, Rng.For(_options.Seed, "children", childStream, p));
            for (var k = 0; k < n; k++)
            {
                var rng = Rng.For(_options.Seed, "object", childStream, index++);
                var id = StripeIds.New(prefix, _sequence++, ref rng);
                var ctx = new ObjectContext(childStream, id, created(parent, k), rng);
                if (Resources.Get(childStream).ParentField is { } field)
                {
                    ctx.Set(field, parent.Id);
                }
                drafts.Add(ctx, parent.Id);
                StreamProfiles.Apply(ctx, sample, this, parent.Id);
            }
        }
        _drafts[childStream] = drafts;
    }

    private void AddCustomerBalanceTransactions()
    {
        // Spread over the rest of the range, in order, so that ending balances accumulate in time order.
        Children("customers", "customer_balance_transactions", (_, rng) => rng.Next(0, 3),
            (p, k) => After(p, (k + 1) * Math.Max(1, (_to - 1 - p.Created) / 4)));
        var balances = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var draft in _drafts["customer_balance_transactions"].List)
        {
            var balance = balances.GetValueOrDefault(draft.ParentId!) + draft.Ctx.Number("amount")!.Value;
            balances[draft.ParentId!] = balance;
            draft.Ctx.Set("ending_balance", balance);
        }
        foreach (var (customer, balance) in balances)
        {
            _drafts["customers"].ById[customer].Ctx.Set("balance", balance);
        }
    }

    /// <summary>A time after the parent's creation, but never past the end of the range.</summary>
    private long After(ObjectContext parent, long seconds) => Math.Max(parent.Created, Math.Min(parent.Created + seconds, _to - 1));

    /// <summary>A time before the parent's (a payout's balance transactions precede it), within the account's range.</summary>
    private long Before(ObjectContext parent, long seconds) => Math.Max(_from, parent.Created - seconds);

    private void SumInto(string parentStream, string childStream, string field, Action<ObjectContext, long> apply)
    {
        var sums = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var child in _drafts[childStream].List)
        {
            sums[child.ParentId!] = sums.GetValueOrDefault(child.ParentId!) + (child.Ctx.Number(field) ?? 0);
        }
        foreach (var parent in _drafts[parentStream].List)
        {
            apply(parent.Ctx, sums.GetValueOrDefault(parent.Ctx.Id));
        }
    }

    /// <summary>Fixes the values that embed already written objects: plans in items, first pages of children.</summary>
    private void PrepareEmbedded(string stream)
    {
        switch (stream)
        {
            case "subscription_items":
                foreach (var item in _drafts[stream].List)
                {
                    if (item.Ctx.Text("$plan") is { } plan && _drafts["plans"].ById[plan].Json is { } json)
                    {
                        item.Ctx.Set("plan", Fixed.Json(json));
                    }
                }
                break;
        }
        foreach (var child in Resources.ChildrenOf(stream).Where(r => r.EmbeddedIn is not null))
        {
            Embed(stream, child.Name);
        }
    }

    private void Embed(string parentStream, string childStream)
    {
        var child = Resources.Get(childStream);
        var byParent = _drafts[childStream].List
            .GroupBy(c => c.ParentId!, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(c => c.Ctx.Created).ThenBy(c => c.Ctx.Id, StringComparer.Ordinal).Reverse()
                .Select(c => (ReadOnlyMemory<byte>)c.Json!).ToList(), StringComparer.Ordinal);
        foreach (var parent in _drafts[parentStream].List)
        {
            var children = byParent.GetValueOrDefault(parent.Ctx.Id) ?? [];
            parent.Ctx.Set(child.EmbeddedIn!, Fixed.Json(EmbeddedList.Build(children, EmbeddedList.Url(child, parent.Ctx.Id))));
        }
    }

    private void WriteAll(string stream)
    {
        var list = _drafts[stream].List;
        var sample = Samples.For(stream);
        Parallel.For(0, list.Count,
            () => new ArrayBufferWriter<byte>(16 * 1024),
            (i, _, buffer) =>
            {
                buffer.ResetWrittenCount();
                using (var w = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
                {
                    SampleWriter.Write(sample, list[i].Ctx, w);
                }
                list[i].Json = buffer.WrittenSpan.ToArray();
                return buffer;
            },
            _ => { });
    }

    private SimulatorAccount BuildAccount()
    {
        var tables = new Dictionary<string, StreamTable>(StringComparer.Ordinal);
        var retainedFrom = _now.ToUnixTimeSeconds() - (long)SimulatorAccount.EventRetention.TotalSeconds;
        var changes = new List<(long Created, string Type, byte[] Json)>();
        foreach (var stream in WriteOrder)
        {
            var resource = Resources.Get(stream);
            var objects = _drafts[stream].List
                .Select(d => new SimulatedObject(stream, d.Ctx.Id, d.Ctx.Created, d.ParentId, d.Ctx.Text("status"), d.Json!))
                .ToList();
            tables[stream] = new StreamTable(resource, objects);
            foreach (var o in objects)
            {
                if (o.Created >= retainedFrom && EventFactory.CreatedType(resource, o.Status) is { } type)
                {
                    changes.Add((o.Created, type, o.Json));
                }
            }
        }
        var ordered = changes.OrderBy(c => c.Created).ToArray();
        var events = new SimulatedObject[ordered.Length];
        var firstSequence = _sequence;
        _sequence += ordered.Length;
        Parallel.For(0, ordered.Length, k =>
        {
            var (created, type, json) = ordered[k];
            var rng = Rng.For(_options.Seed, "object", "events", k);
            var id = StripeIds.New("evt_", firstSequence + k, ref rng);
            events[k] = new SimulatedObject("events", id, created, null, null, EventFactory.Build(id, created, type, _options.ApiVersion, json, account: _options.EventAccount), type);
        });
        tables["events"] = new StreamTable(Resources.Get("events"), events);
        return new SimulatorAccount(_options.AccountId, _options.Seed, _options.ClockOrSystem, tables, _sequence);
    }
}
