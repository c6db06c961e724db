namespace SourceStripe.Capture.Events;

/// <summary>
/// Which bindings each Stripe event type concerns, and the <c>types[]</c> of the requests that read them:
/// the union of the bound streams' types in as few requests as Stripe allows (20 types each). The same for
/// every account, so built once and shared by all of them.
/// </summary>
public sealed class EventRoutes
{
    private const int MaxTypesPerRequest = 20;

    private readonly Dictionary<string, List<(BoundStream Binding, bool Direct)>> _routes = [];

    public EventRoutes(IEnumerable<BoundStream> bindings)
    {
        Listeners = [.. bindings.Where(b => b.ListensToEvents)];
        var carriers = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var binding in Listeners)
        {
            foreach (var (carrier, type, direct) in Routes(binding))
            {
                if (!_routes.TryGetValue(type, out var targets))
                {
                    _routes[type] = targets = [];
                }
                targets.Add((binding, direct));
                if (!carriers.TryGetValue(carrier, out var types))
                {
                    carriers[carrier] = types = new SortedSet<string>(StringComparer.Ordinal);
                }
                types.Add(type);
            }
        }
        Requests = Pack(Merge(carriers.Values));
    }

    /// <summary>The bindings that take changes from events.</summary>
    public IReadOnlyList<BoundStream> Listeners { get; }

    /// <summary>The <c>types[]</c> of each request of a cycle.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Requests { get; }

    /// <summary>The bindings an event of <paramref name="type"/> concerns, and whether it carries their own objects.</summary>
    public IReadOnlyList<(BoundStream Binding, bool Direct)> For(string type) => _routes.GetValueOrDefault(type) ?? [];

    /// <summary>
    /// A binding's event types, each with the stream whose objects the events carry (used to keep one
    /// object's events in one request) and whether they carry this stream's own objects.
    /// </summary>
    private static IEnumerable<(string Carrier, string Type, bool Direct)> Routes(BoundStream binding)
    {
        var stream = binding.Stream;
        var own = stream.Events.Select(e => (stream.Name, e.Type, true));
        // A child that its own events carry whole does not follow its parent's.
        return stream.Parent is { Relist: true } parent
            ? own.Concat(stream.Listed.Events.Select(e => (parent.Stream, e.Type, false)))
            : own;
    }

    /// <summary>
    /// Joins the types of carriers that share one (a customer's cards and bank accounts both follow
    /// customer.source.*), so each type is read once and every carrier's types still go in one request.
    /// </summary>
    private static List<SortedSet<string>> Merge(IEnumerable<SortedSet<string>> carriers)
    {
        var merged = new List<SortedSet<string>>();
        foreach (var types in carriers)
        {
            var joined = new SortedSet<string>(types, StringComparer.Ordinal);
            foreach (var overlapping in merged.Where(m => m.Overlaps(joined)).ToList())
            {
                joined.UnionWith(overlapping);
                merged.Remove(overlapping);
            }
            merged.Add(joined);
        }
        return merged;
    }

    /// <summary>
    /// Packs each carrier's types into requests of at most 20 types, keeping a carrier's types together
    /// so one object's events arrive in one newest-first sequence (its newest version is seen first).
    /// </summary>
    private static List<IReadOnlyList<string>> Pack(IEnumerable<SortedSet<string>> carriers)
    {
        var requests = new List<List<string>>();
        foreach (var types in carriers.OrderByDescending(t => t.Count))
        {
            var fit = requests.FirstOrDefault(r => r.Count + types.Count <= MaxTypesPerRequest);
            if (fit is not null)
            {
                fit.AddRange(types);
            }
            else
            {
                requests.AddRange(types.Chunk(MaxTypesPerRequest).Select(c => c.ToList()));
            }
        }
        return [.. requests];
    }
}
