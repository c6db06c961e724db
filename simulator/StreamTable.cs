namespace SourceStripe.Simulator;

/// <summary>
/// One resource's objects: a single store for a top-level resource, one store per parent for a child, an id
/// index, and the ids of deleted objects (which stay usable as pagination cursors, as on Stripe).
/// </summary>
internal sealed class StreamTable
{
    private readonly ObjectStore? _store;
    private readonly Dictionary<string, ObjectStore>? _byParent;
    private readonly Dictionary<string, SimulatedObject> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimulatedObject> _deleted = new(StringComparer.Ordinal);

    public StreamTable(Resource resource, IEnumerable<SimulatedObject> objects)
    {
        Resource = resource;
        var all = objects as IReadOnlyCollection<SimulatedObject> ?? [.. objects];
        foreach (var item in all)
        {
            _byId.Add(item.Id, item);
        }
        if (resource.Parent is not null)
        {
            _byParent = new Dictionary<string, ObjectStore>(StringComparer.Ordinal);
            foreach (var group in all.GroupBy(o => o.ParentId!, StringComparer.Ordinal))
            {
                _byParent[group.Key] = new ObjectStore(group);
            }
        }
        else
        {
            _store = new ObjectStore(all);
        }
    }

    public Resource Resource { get; }

    public bool IsChild => _byParent is not null;

    public int Count => _byId.Count;

    /// <summary>The top-level store, or a parent's children (an empty store when it has none).</summary>
    public ObjectStore Store(string? parentId = null) =>
        _store ?? (parentId is not null && _byParent!.TryGetValue(parentId, out var store) ? store : new ObjectStore());

    public SimulatedObject? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>A live or deleted object: what a cursor may name.</summary>
    public SimulatedObject? FindCursor(string id) => _byId.GetValueOrDefault(id) ?? _deleted.GetValueOrDefault(id);

    public bool IsDeleted(string id) => _deleted.ContainsKey(id);

    public void Add(SimulatedObject item)
    {
        // A reconnected account comes back under its old id: live again, no longer deleted.
        _deleted.Remove(item.Id);
        _byId.Add(item.Id, item);
        if (_store is not null)
        {
            _store.Add(item);
            return;
        }
        if (!_byParent!.TryGetValue(item.ParentId!, out var store))
        {
            _byParent[item.ParentId!] = store = new ObjectStore();
        }
        store.Add(item);
    }

    public void Replace(SimulatedObject old, SimulatedObject updated)
    {
        _byId[updated.Id] = updated;
        Store(old.ParentId).Replace(old, updated);
    }

    public void Delete(SimulatedObject item)
    {
        _byId.Remove(item.Id);
        _deleted[item.Id] = item;
        Store(item.ParentId).Remove(item);
    }

    /// <summary>Every object: a top-level resource in list order; a child resource grouped by parent in <paramref name="parentOrder"/>.</summary>
    public List<SimulatedObject> Snapshot(IEnumerable<string>? parentOrder)
    {
        if (_store is not null)
        {
            return [.. _store.Items];
        }
        var all = new List<SimulatedObject>(_byId.Count);
        foreach (var parent in parentOrder ?? _byParent!.Keys)
        {
            if (_byParent!.TryGetValue(parent, out var store))
            {
                all.AddRange(store.Items);
            }
        }
        return all;
    }
}
