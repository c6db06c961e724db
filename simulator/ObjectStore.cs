namespace SourceStripe.Simulator;

/// <summary>
/// Objects in Stripe's list order (newest first, then id descending), so that a <c>created</c> range, a cursor
/// and a page are found by binary search: O(log n + page) whatever the account size.
/// </summary>
internal sealed class ObjectStore
{
    private readonly List<SimulatedObject> _items;

    public ObjectStore() => _items = [];

    /// <summary>A store over objects in any order.</summary>
    public ObjectStore(IEnumerable<SimulatedObject> objects)
    {
        _items = [.. objects];
        _items.Sort((a, b) => SimulatedObject.Order(a.Created, a.Id, b.Created, b.Id));
    }

    public IReadOnlyList<SimulatedObject> Items => _items;

    public int Count => _items.Count;

    public void Add(SimulatedObject item) => _items.Insert(Position(item.Created, item.Id), item);

    public void Remove(SimulatedObject item)
    {
        var at = IndexOf(item);
        if (at >= 0)
        {
            _items.RemoveAt(at);
        }
    }

    public void Replace(SimulatedObject old, SimulatedObject updated)
    {
        var at = IndexOf(old);
        if (at >= 0 && old.Created == updated.Created)
        {
            _items[at] = updated;
            return;
        }
        Remove(old);
        Add(updated);
    }

    public int IndexOf(SimulatedObject item)
    {
        var at = Position(item.Created, item.Id);
        return at < _items.Count && _items[at].Id == item.Id ? at : -1;
    }

    /// <summary>The index of the first object that does not come before (created, id) in list order.</summary>
    public int Position(long created, string id)
    {
        int lo = 0, hi = _items.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var item = _items[mid];
            if (SimulatedObject.Order(item.Created, item.Id, created, id) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>The index of the first object created at or before <paramref name="time"/> (items are newest first).</summary>
    public int FirstAtOrBefore(long time)
    {
        int lo = 0, hi = _items.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_items[mid].Created > time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }
}
