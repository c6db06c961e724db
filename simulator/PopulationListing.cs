namespace SourceStripe.Simulator;

/// <summary>
/// The platform's <c>/v1/accounts</c> (and each account's persons and external accounts) over a population: the
/// accounts the platform stores (configured, connected later, reconnected) merged in Stripe's order with the members
/// still at their seeded place, whose Account objects are rendered from the seed for the page that shows them.
/// </summary>
internal sealed class PopulationListing(AccountPopulation population, ConnectedAccounts accounts, Mutations platform)
{
    /// <summary>Where a cursor naming a member stands: its seeded place, whether or not it is still listed there
    /// (a disconnected account's id stays a valid cursor, as a deleted object's does).</summary>
    public (long Created, string Id)? Cursor(string id) =>
        population.MemberOf(id) is { } member ? (population.CreatedOf(member), id) : null;

    /// <summary>A member's Account object, while the platform lists it at its seeded place.</summary>
    public SimulatedObject? Retrieve(string id) => Listed(id) is { } member ? Render(member) : null;

    /// <summary>A listed member's children of the given resources, in list order; null for any other id.</summary>
    public ObjectStore? Children(string accountId, IEnumerable<Resource> resources)
    {
        if (Listed(accountId) is not { } member)
        {
            return null;
        }
        var streams = resources.Select(r => r.Name).ToHashSet(StringComparer.Ordinal);
        var index = population.FirstIndex + member;
        var children = platform.RenderAccountChildren(accountId, population.CreatedOf(member), index, ConnectedAccounts.ListingSequence(index));
        return new ObjectStore(children.Where(c => streams.Contains(c.Stream)));
    }

    /// <summary>One page of the merged list, after or before <paramref name="cursor"/>, within the query's <c>created</c> bounds.</summary>
    public (List<SimulatedObject> Page, bool HasMore) Page(ObjectStore stored, ListQuery query, (long Created, string Id)? cursor)
    {
        var (min, max) = (query.CreatedMin, query.CreatedMax);
        var storedLane = new Lane(max == long.MaxValue ? 0 : stored.FirstAtOrBefore(max), min == long.MinValue ? stored.Count : stored.FirstAtOrBefore(min - 1));
        var seededLane = new Lane(max == long.MaxValue ? 0 : population.FirstAtOrBefore(max), min == long.MinValue ? population.Count : population.FirstAtOrBefore(min - 1));
        var backward = query.EndingBefore is not null;
        if (cursor is var (created, id))
        {
            var inStored = stored.Position(created, id);
            var inSeeded = population.Position(created, id);
            if (backward)
            {
                storedLane = storedLane with { Hi = Math.Min(storedLane.Hi, inStored) };
                seededLane = seededLane with { Hi = Math.Min(seededLane.Hi, inSeeded) };
            }
            else
            {
                var storedAt = inStored < stored.Count && stored.Items[inStored].Id == id;
                var seededAt = inSeeded < population.Count && population.IdOf(population.At(inSeeded).Member) == id;
                storedLane = storedLane with { Lo = Math.Max(storedLane.Lo, inStored + (storedAt ? 1 : 0)) };
                seededLane = seededLane with { Lo = Math.Max(seededLane.Lo, inSeeded + (seededAt ? 1 : 0)) };
            }
        }
        return backward ? Backward(stored, storedLane, seededLane, query.Limit) : Forward(stored, storedLane, seededLane, query.Limit);
    }

    private (List<SimulatedObject>, bool) Forward(ObjectStore stored, Lane storedLane, Lane seededLane, int limit)
    {
        var page = new List<SimulatedObject>(limit);
        var s = storedLane.Lo;
        var p = NextListed(seededLane.Lo, seededLane.Hi, +1);
        while (page.Count < limit && (s < storedLane.Hi || p < seededLane.Hi))
        {
            if (p >= seededLane.Hi || (s < storedLane.Hi && Before(stored.Items[s], p)))
            {
                page.Add(stored.Items[s++]);
            }
            else
            {
                page.Add(Render(population.At(p).Member));
                p = NextListed(p + 1, seededLane.Hi, +1);
            }
        }
        return (page, s < storedLane.Hi || p < seededLane.Hi);
    }

    private (List<SimulatedObject>, bool) Backward(ObjectStore stored, Lane storedLane, Lane seededLane, int limit)
    {
        var page = new List<SimulatedObject>(limit);
        var s = storedLane.Hi - 1;
        var p = NextListed(seededLane.Hi - 1, seededLane.Lo - 1, -1);
        while (page.Count < limit && (s >= storedLane.Lo || p >= seededLane.Lo))
        {
            if (p < seededLane.Lo || (s >= storedLane.Lo && !Before(stored.Items[s], p)))
            {
                page.Add(stored.Items[s--]);
            }
            else
            {
                page.Add(Render(population.At(p).Member));
                p = NextListed(p - 1, seededLane.Lo - 1, -1);
            }
        }
        page.Reverse();
        return (page, s >= storedLane.Lo || p >= seededLane.Lo);
    }

    /// <summary>The first position from <paramref name="from"/> towards <paramref name="end"/> (exclusive) whose member is still at its seeded place.</summary>
    private int NextListed(int from, int end, int step)
    {
        var p = from;
        while ((step > 0 ? p < end : p > end) && accounts.IsMoved(population.At(p).Member))
        {
            p += step;
        }
        return p;
    }

    /// <summary>Whether a stored account comes before the member at a seeded position, in Stripe's order.</summary>
    private bool Before(SimulatedObject item, int position)
    {
        var (member, created) = population.At(position);
        return item.Created != created ? item.Created > created : string.CompareOrdinal(item.Id, population.IdOf(member)) > 0;
    }

    private int? Listed(string id) => population.MemberOf(id) is { } member && !accounts.IsMoved(member) ? member : null;

    private SimulatedObject Render(int member) =>
        platform.RenderAccount(population.IdOf(member), population.CreatedOf(member), population.FirstIndex + member);

    /// <summary>Positions [Lo, Hi) of one ordered source.</summary>
    private readonly record struct Lane(int Lo, int Hi);
}
