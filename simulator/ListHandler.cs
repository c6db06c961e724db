using System.Buffers;
using System.Text.Json;

namespace SourceStripe.Simulator;

/// <summary>
/// Answers list and retrieve requests from the account: filters, cursors, pages, expansion. Events not visible yet
/// (see <see cref="SimulatedObject.VisibleAt"/>) are absent: not listed, unknown as cursors, not retrievable.
/// </summary>
internal sealed class ListHandler(SimulatorAccount account)
{
    /// <summary>A platform's population of connected accounts, listed from the seed next to the stored accounts.</summary>
    public PopulationListing? Population { get; set; }

    public byte[] List(Route route, ListQuery query, string path)
    {
        List<SimulatedObject> page;
        bool hasMore;
        lock (account.Gate)
        {
            if (route.Resource.Name == "accounts" && Population is { } population)
            {
                (page, hasMore) = population.Page(account.Table("accounts").Store(), query, AccountsCursor(route.Resource, query, population));
            }
            else
            {
                (page, hasMore) = Select(route, query);
            }
        }
        var expand = query.Expand.Count == 0 ? null : Expansion.ForList(query.Expand);
        var buffer = new ArrayBufferWriter<byte>(256 + page.Sum(o => o.Utf8.Length));
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteString("url", path);
            w.WriteBoolean("has_more", hasMore);
            w.WriteStartArray("data");
            foreach (var item in page)
            {
                w.WriteRawValue(expand is null ? item.Utf8.Span : Expansion.Apply(item.Utf8, expand, account), skipInputValidation: true);
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The page a list request asks for, under the account's lock.</summary>
    private (List<SimulatedObject> Page, bool HasMore) Select(Route route, ListQuery query)
    {
        var (store, parentId) = StoreFor(route.Resource, route.ParentId, query);
        var filter = Filter(route.Resource, query);
        if (route.Resource.Name == "events")
        {
            var now = account.Now;
            var byType = filter;
            filter = byType is null ? o => o.IsVisible(now) : o => o.IsVisible(now) && byType(o);
        }
        var min = query.CreatedMin;
        if (route.Resource.Name == "events")
        {
            min = Math.Max(min, account.RetentionStart);
        }
        var lo = query.CreatedMax == long.MaxValue ? 0 : store.FirstAtOrBefore(query.CreatedMax);
        var hi = min == long.MinValue ? store.Count : store.FirstAtOrBefore(min - 1);
        int? start = null, end = null;
        if ((query.StartingAfter ?? query.EndingBefore) is { } cursorId)
        {
            var param = query.StartingAfter is not null ? "starting_after" : "ending_before";
            // A child list the platform renders for a population's account has no table to find its cursor in.
            var cursor = FindCursor(route.Resource, cursorId, parentId) ?? store.Items.FirstOrDefault(o => o.Id == cursorId)
                ?? throw StripeErrors.NoSuchCursor(route.Resource.Object, cursorId, param);
            if (route.Resource.Name == "events" && cursor.Created < account.RetentionStart)
            {
                throw StripeErrors.EventOutsideRetention(cursorId, param);
            }
            var at = store.Position(cursor.Created, cursor.Id);
            var live = at < store.Count && store.Items[at].Id == cursor.Id;
            if (query.StartingAfter is not null)
            {
                start = live ? at + 1 : at;
            }
            else
            {
                end = at;
            }
        }
        return Page(store.Items, lo, hi, start, end, query.Limit, filter);
    }

    /// <summary>Where a <c>/v1/accounts</c> cursor stands: a stored account (live or not), else a population member.</summary>
    private (long Created, string Id)? AccountsCursor(Resource accounts, ListQuery query, PopulationListing population)
    {
        if ((query.StartingAfter ?? query.EndingBefore) is not { } cursorId)
        {
            return null;
        }
        if (FindCursor(accounts, cursorId, null) is { } stored)
        {
            return (stored.Created, stored.Id);
        }
        return population.Cursor(cursorId)
            ?? throw StripeErrors.NoSuchCursor(accounts.Object, cursorId, query.StartingAfter is not null ? "starting_after" : "ending_before");
    }

    public byte[] Retrieve(Route route, ListQuery query)
    {
        var resource = route.Resource;
        var id = route.RetrieveId!;
        SimulatedObject? found;
        bool deleted;
        lock (account.Gate)
        {
            var table = account.Table(resource.Name);
            // Under a parent, any resource of the endpoint (a customer's sources: bank accounts and cards), if it is that parent's.
            found = route.ParentId is null
                ? table.Find(id)
                : Sharing(resource).Select(r => account.Table(r.Name).Find(id)).FirstOrDefault(o => o is not null && o.ParentId == route.ParentId);
            if (found is null && Population is { } population)
            {
                found = route.ParentId is null
                    ? resource.Name == "accounts" ? population.Retrieve(id) : null
                    : resource.Parent == "accounts" ? population.Children(route.ParentId, Sharing(resource))?.Items.FirstOrDefault(o => o.Id == id) : null;
            }
            deleted = found is null && table.IsDeleted(id) && resource.RetrievesDeleted;
            if (found is not null && resource.Name == "events" && (found.Created < account.RetentionStart || !found.IsVisible(account.Now)))
            {
                found = null;
            }
        }
        if (deleted)
        {
            var stub = new ArrayBufferWriter<byte>(128);
            using (var w = new Utf8JsonWriter(stub))
            {
                w.WriteStartObject();
                w.WriteString("id", id);
                w.WriteString("object", resource.Object);
                w.WriteBoolean("deleted", true);
                w.WriteEndObject();
            }
            return stub.WrittenSpan.ToArray();
        }
        if (found is null)
        {
            throw StripeErrors.NoSuchObject(resource.Object, id, "id");
        }
        return query.Expand.Count == 0 ? found.Json : Expansion.Apply(found.Utf8, Expansion.ForObject(query.Expand), account);
    }

    /// <summary>The store a list reads: the resource's, or the parent's children (which must exist).</summary>
    private (ObjectStore Store, string? ParentId) StoreFor(Resource resource, string? parentId, ListQuery query)
    {
        if (resource.Parent is not { } parent)
        {
            return (account.Table(resource.Name).Store(), null);
        }
        var byQuery = resource.ParentIn == ParentIn.Query;
        if (byQuery)
        {
            parentId = query.ParentId is { Length: > 0 } s ? s : throw StripeErrors.MissingParameter(resource.ParentParam!);
        }
        if (parent == "accounts" && account.Table(parent).Find(parentId!) is null && Population?.Children(parentId!, Sharing(resource)) is { } rendered)
        {
            return (rendered, parentId);
        }
        if (account.Table(parent).Find(parentId!) is null)
        {
            throw StripeErrors.NoSuchObject(Resources.Get(parent).Object, parentId!, byQuery ? resource.ParentParam : null);
        }
        var shared = Sharing(resource).ToList();
        if (shared.Count == 1)
        {
            return (account.Table(resource.Name).Store(parentId), parentId);
        }
        // An endpoint several resources share (a customer's sources: bank accounts and cards), filtered by `object`.
        return (new ObjectStore(shared.SelectMany(r => account.Table(r.Name).Store(parentId).Items)), parentId);
    }

    /// <summary>The resources one endpoint lists together (a customer's sources); a list of a parent's children
    /// (<c>/v1/balance_transactions?payout=</c>) is not the top-level list of its path.</summary>
    private static IEnumerable<Resource> Sharing(Resource resource) =>
        Resources.All.Where(r => r.Path == resource.Path && r.Parent == resource.Parent);

    private SimulatedObject? FindCursor(Resource resource, string id, string? parentId)
    {
        var found = Sharing(resource).Select(r => account.Table(r.Name).FindCursor(id)).FirstOrDefault(o => o is not null);
        return found is not null && found.ParentId == parentId && found.IsVisible(account.Now) ? found : null;
    }

    private static Func<SimulatedObject, bool>? Filter(Resource resource, ListQuery query)
    {
        if (query.Status is { } status && !resource.Statuses!.Contains(status))
        {
            throw StripeErrors.InvalidValue("status", $"Invalid status: must be one of {string.Join(", ", resource.Statuses!)}");
        }
        switch (resource.Name)
        {
            case "subscriptions":
                return query.Status switch
                {
                    null => o => o.Status is not ("canceled" or "incomplete_expired"),
                    "all" => null,
                    "ended" => o => o.Status is "canceled" or "incomplete_expired",
                    var s => o => o.Status == s,
                };
            case "events" when query.Type is { } type:
                return type.EndsWith('*')
                    ? o => o.EventType!.StartsWith(type[..^1], StringComparison.Ordinal)
                    : o => o.EventType == type;
            case "events" when query.Types.Count > 0:
                var types = query.Types.ToHashSet(StringComparer.Ordinal);
                return o => types.Contains(o.EventType!);
        }
        if (resource.Selector is not null && query.Object is { } objectName)
        {
            return o => Resources.Get(o.Stream).Selector == objectName;
        }
        return query.Status is { } wanted ? o => o.Status == wanted : null;
    }

    /// <summary>One page of <paramref name="items"/>[lo, hi) after <paramref name="start"/> or before <paramref name="end"/>.</summary>
    private static (List<SimulatedObject> Page, bool HasMore) Page(
        IReadOnlyList<SimulatedObject> items, int lo, int hi, int? start, int? end, int limit, Func<SimulatedObject, bool>? filter)
    {
        var page = new List<SimulatedObject>(Math.Min(limit, Math.Max(0, hi - lo)));
        var hasMore = false;
        if (end is { } before)
        {
            var i = Math.Min(before, hi) - 1;
            for (; i >= lo && page.Count < limit; i--)
            {
                if (filter is null || filter(items[i]))
                {
                    page.Add(items[i]);
                }
            }
            for (; i >= lo && !hasMore; i--)
            {
                hasMore = filter is null || filter(items[i]);
            }
            page.Reverse();
            return (page, hasMore);
        }
        var k = Math.Max(lo, start ?? lo);
        for (; k < hi && page.Count < limit; k++)
        {
            if (filter is null || filter(items[k]))
            {
                page.Add(items[k]);
            }
        }
        for (; k < hi && !hasMore; k++)
        {
            hasMore = filter is null || filter(items[k]);
        }
        return (page, hasMore);
    }
}
