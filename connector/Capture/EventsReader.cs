using System.Globalization;
using SourceStripe.Logging;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>
/// The capture's one reader of <c>/v1/events</c>. Each cycle it reads the events of the union of the
/// bound streams' types, up to now minus the event lag, in as few requests as Stripe allows (20 types
/// each), and hands each event to every binding that follows its type.
/// </summary>
public sealed class EventsReader
{
    private const int MaxTypesPerRequest = 20;

    private readonly CaptureContext _context;
    private readonly List<BindingCapture> _listeners;
    private readonly Dictionary<string, List<(BindingCapture Binding, bool Direct)>> _routes = [];
    private readonly List<List<string>> _requests;

    public EventsReader(CaptureContext context, IEnumerable<BindingCapture> bindings)
    {
        _context = context;
        _listeners = [.. bindings.Where(b => b.ListensToEvents)];
        var carriers = new SortedDictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var binding in _listeners)
        {
            foreach (var (carrier, type, direct) in binding.EventRoutes)
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
        _requests = PackRequests(carriers.Values);
    }

    /// <summary>The <c>types[]</c> of each request of a cycle.</summary>
    public IReadOnlyList<IReadOnlyList<string>> Requests => _requests;

    /// <summary>
    /// Packs each carrier's types into requests of at most 20 types, keeping a carrier's types together
    /// so one object's events arrive in one newest-first sequence (its newest version is seen first).
    /// </summary>
    private static List<List<string>> PackRequests(IEnumerable<SortedSet<string>> carriers)
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
        return requests;
    }

    public async Task RunAsync(CancellationToken stop)
    {
        if (_listeners.Count == 0)
        {
            return;
        }
        var interval = _listeners.Min(b => b.Binding.Interval);
        while (true)
        {
            await CycleAsync(stop).ConfigureAwait(false);
            await Task.Delay(interval, _context.Clock, stop).ConfigureAwait(false);
        }
    }

    public async Task CycleAsync(CancellationToken stop)
    {
        foreach (var binding in _listeners)
        {
            binding.CheckRetention();
        }
        // Whole seconds only: the current second may still gain events.
        var upTo = (_context.Clock.GetUtcNow() - _context.Config.Advanced.EventLag).ToUnixTimeSeconds() - 1;
        var cycles = _listeners
            .Where(b => b.EventsCursor is { } cursor && cursor < upTo)
            .ToDictionary(b => b, _ => new EventCycle());
        if (cycles.Count == 0)
        {
            return;
        }
        var from = cycles.Keys.Min(b => b.EventsCursor!.Value);
        var events = 0;
        foreach (var types in _requests.Where(r => r.Any(t => _routes[t].Any(target => cycles.ContainsKey(target.Binding)))))
        {
            events += await ReadRequestAsync(types, from, upTo, cycles, stop).ConfigureAwait(false);
        }
        foreach (var (binding, cycle) in cycles)
        {
            await binding.FinishEventsAsync(cycle, upTo, stop).ConfigureAwait(false);
        }
        Log.Debug("Applied Stripe events", ("events", events), ("created_gt", DateTimeOffset.FromUnixTimeSeconds(from)), ("created_lte", DateTimeOffset.FromUnixTimeSeconds(upTo)),
            ("documents", cycles.Values.Sum(c => c.Documents)), ("relisted_parents", cycles.Values.Sum(c => c.Relist.Count)));
    }

    private async Task<int> ReadRequestAsync(List<string> types, long from, long upTo, Dictionary<BindingCapture, EventCycle> cycles, CancellationToken stop)
    {
        var fields = cycles.Keys.Select(b => b.Binding.Stream.Parent?.Param).OfType<string>().ToHashSet();
        var count = 0;
        string? after = null;
        while (true)
        {
            List<KeyValuePair<string, string>> query =
            [
                new("limit", "100"),
                new("created[gt]", from.ToString(CultureInfo.InvariantCulture)),
                new("created[lte]", upTo.ToString(CultureInfo.InvariantCulture)),
                .. types.Select(t => KeyValuePair.Create("types[]", t)),
            ];
            if (after is not null)
            {
                query.Add(new("starting_after", after));
            }
            using var page = await _context.Client.ListAsync(StripeQuery.ListPath(StreamCatalog.Events, null, [.. query]), "created", null, stop).ConfigureAwait(false);
            var byBinding = new Dictionary<BindingCapture, List<(PageItem, StripeEvent, bool)>>();
            foreach (var item in page.Items)
            {
                var e = StripeEvent.Parse(page.Raw(item), fields);
                count++;
                foreach (var (binding, direct) in _routes.GetValueOrDefault(e.Type) ?? [])
                {
                    if (cycles.ContainsKey(binding))
                    {
                        if (!byBinding.TryGetValue(binding, out var list))
                        {
                            byBinding[binding] = list = [];
                        }
                        list.Add((item, e, direct));
                    }
                }
            }
            foreach (var (binding, list) in byBinding)
            {
                await binding.ApplyEventsAsync(cycles[binding], page, list, stop).ConfigureAwait(false);
            }
            if (!page.HasMore || page.Items.Count == 0)
            {
                return count;
            }
            after = page.Items[^1].Id;
        }
    }
}
