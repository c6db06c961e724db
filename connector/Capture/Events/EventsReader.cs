using System.Globalization;
using SourceStripe.Logging;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>
/// Reads an account's Stripe events, one cycle every interval (the shortest of its listening bindings').
/// A cycle reads up to now less the event lag, each request's pages once (the requests at the same time),
/// hands each page's events to the bindings they concern, which apply them at the same time, then lists
/// again the children of parents that changed and moves each binding's events cursor. A page's next page
/// is read as soon as its events are sorted, while its objects are still being read again: a burst of
/// changes to one resource, read again at its endpoint's pace, does not hold back the other resources'
/// changes on later pages. Every step is a unit on the capture's scheduler. Each account has its own:
/// Stripe keeps events per account.
/// </summary>
public sealed class EventsReader(CaptureContext context, EventRoutes routes, AccountCapture account)
{
    private readonly Lock _lock = new();
    /// <summary>Counts cycles: the units of a cycle abandoned (its account refused) end without effect.</summary>
    private int _generation;
    /// <summary>Pages of the cycle queued or being applied: the cycle's requests are done once none is.</summary>
    private int _openPages;
    private int _openFinishes;
    private Dictionary<AccountBinding, BindingCycle> _cycles = [];
    private long _upTo;
    private int _events;

    /// <summary>Flow's capture: a cycle after <paramref name="delay"/> and then one every interval, for as long as the capture runs.</summary>
    public void Start(TimeSpan delay)
    {
        if (routes.Listeners.Count > 0)
        {
            context.Scheduler.EnqueueAt(context.Clock.GetUtcNow() + delay, CycleUnit(repeat: true));
        }
    }

    /// <summary>A one-shot capture: one cycle, once every binding has caught up.</summary>
    public void RunOnce()
    {
        if (routes.Listeners.Count > 0)
        {
            context.Scheduler.Enqueue(CycleUnit(repeat: false));
        }
    }

    private WorkUnit CycleUnit(bool repeat) => new DelegateUnit(What, isBackfill: false, cursor: 0, stop => BeginAsync(repeat, stop));

    private string What => "Stripe events" + account.Of;

    private async Task BeginAsync(bool repeat, CancellationToken stop)
    {
        var listeners = routes.Listeners.Select(b => account.Bindings[b.Index]).ToList();
        foreach (var binding in listeners)
        {
            await binding.CheckRetentionAsync(stop).ConfigureAwait(false);
        }
        // Whole seconds only: the current second may still gain events.
        var upTo = (context.Clock.GetUtcNow() - context.Config.Advanced.EventLag).ToUnixTimeSeconds() - 1;
        var cycles = listeners
            .Select(b => (Binding: b, Cursor: b.EventsCursor))
            .Where(b => b.Cursor is { } cursor && cursor < upTo)
            .ToDictionary(b => b.Binding, b => new BindingCycle(b.Binding, b.Cursor!.Value));
        var requests = routes.Requests.Where(r => r.Any(t => routes.For(t).Any(target => cycles.ContainsKey(account.Bindings[target.Binding.Index])))).ToList();
        if (requests.Count == 0)
        {
            Next(repeat);
            return;
        }
        int generation;
        lock (_lock)
        {
            generation = ++_generation;
            _cycles = cycles;
            _upTo = upTo;
            _events = 0;
            _openPages = requests.Count;
        }
        var from = cycles.Values.Min(c => c.From);
        foreach (var types in requests)
        {
            context.Scheduler.Enqueue(new EventsPageUnit(this, generation, types, from, upTo, after: null, repeat));
        }
    }

    /// <summary>Times the next cycle after the interval (Flow's capture), or ends here (a one-shot capture).</summary>
    private void Next(bool repeat)
    {
        if (repeat)
        {
            var interval = routes.Listeners.Min(b => b.Interval);
            context.Scheduler.EnqueueAt(context.Clock.GetUtcNow() + interval, CycleUnit(repeat: true));
        }
    }

    /// <summary>The endpoint every events page of the capture reads (for its account).</summary>
    private static readonly string EventsOperation = RequestEndpoint.OperationOf(StreamCatalog.Events.Path);

    /// <summary>Reads one page of one request's events, queues the request's next page, and applies it.</summary>
    private sealed class EventsPageUnit(EventsReader reader, int generation, IReadOnlyList<string> types, long from, long upTo, string? after, bool repeat) : WorkUnit
    {
        public override bool IsBackfill => false;

        public override long Cursor => from;

        public override string What => reader.What;

        public override RequestEndpoint? Endpoint => new(reader.Account.RequestAccount, EventsOperation);

        public override async Task RunAsync(CancellationToken stop)
        {
            if (!reader.IsCurrent(generation))
            {
                return;
            }
            try
            {
                await ReadPageAsync(stop).ConfigureAwait(false);
            }
            catch (Exception e) when (reader.Account.Absorbs(null, e))
            {
                reader.Abandon(generation, repeat);
            }
        }

        private async Task ReadPageAsync(CancellationToken stop)
        {
            var cycles = reader.Cycles;
            var fields = cycles.Keys.Select(b => b.Stream.Parent?.Param).OfType<string>().ToHashSet();
            var embedded = cycles.Keys.Select(b => b.Stream.Parent?.Embedded).OfType<string>().ToHashSet();
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
            var client = reader.Context.Client;
            var applies = new List<(BindingCycle Cycle, CommitBatch Batch, List<(string Id, ChangeKind Change, string? ParentId)> Refetch)>();
            using (var page = await client.ListAsync(StripeQuery.ListPath(StreamCatalog.Events, null, [.. query]), "created", null, stop, reader.Account.RequestAccount, waitForRoom: true).ConfigureAwait(false))
            {
                var byBinding = new Dictionary<BindingCycle, List<(PageItem, StripeEvent, bool)>>();
                foreach (var item in page.Items)
                {
                    var e = StripeEvent.Parse(page.Raw(item), fields, embedded);
                    foreach (var (binding, direct) in reader.Routes.For(e.Type))
                    {
                        if (cycles.TryGetValue(reader.Account.Bindings[binding.Index], out var cycle))
                        {
                            if (!byBinding.TryGetValue(cycle, out var list))
                            {
                                byBinding[cycle] = list = [];
                            }
                            list.Add((item, e, direct));
                        }
                    }
                }
                reader.Counted(page.Items.Count);
                // Sorted in page order, before the next page is: an object's newest event is the one it keeps.
                foreach (var (cycle, events) in byBinding)
                {
                    var batch = cycle.Binding.Context.NewBatch();
                    applies.Add((cycle, batch, EventApplier.Triage(cycle, page, events, batch)));
                }
                if (page.HasMore && page.Items.Count > 0)
                {
                    reader.PageQueued(generation);
                    reader.Context.Scheduler.Enqueue(new EventsPageUnit(reader, generation, types, from, upTo, page.Items[^1].Id, repeat));
                }
            }
            await Task.WhenAll(applies.Select(a => ApplyAsync(a.Cycle, a.Batch, a.Refetch, stop))).ConfigureAwait(false);
            reader.PageDone(generation, repeat);
        }

        private static async Task ApplyAsync(BindingCycle cycle, CommitBatch batch, List<(string Id, ChangeKind Change, string? ParentId)> refetch, CancellationToken stop)
        {
            await EventApplier.RefetchAsync(cycle.Binding, refetch, batch, stop).ConfigureAwait(false);
            await cycle.Binding.CommitAsync(batch, null, stop).ConfigureAwait(false);
        }
    }

    private CaptureContext Context => context;

    private AccountCapture Account => account;

    private bool IsCurrent(int generation)
    {
        lock (_lock)
        {
            return generation == _generation;
        }
    }

    /// <summary>The account refused a request of the cycle: its other units end without effect, and the next cycle is timed.</summary>
    private void Abandon(int generation, bool repeat)
    {
        lock (_lock)
        {
            if (generation != _generation)
            {
                return;
            }
            _generation++;
            _cycles = [];
        }
        Next(repeat);
    }

    private EventRoutes Routes => routes;

    private Dictionary<AccountBinding, BindingCycle> Cycles
    {
        get { lock (_lock) { return _cycles; } }
    }

    private void Counted(int events) => Interlocked.Add(ref _events, events);

    /// <summary>A page is queued: it is counted before the page that queued it is done, so the count never falls to 0 early.</summary>
    private void PageQueued(int generation)
    {
        lock (_lock)
        {
            if (generation == _generation)
            {
                _openPages++;
            }
        }
    }

    /// <summary>A page's events are applied; after the last page of every request, each binding finishes its cycle.</summary>
    private void PageDone(int generation, bool repeat)
    {
        List<BindingCycle> finishing;
        long upTo;
        lock (_lock)
        {
            if (generation != _generation || --_openPages > 0)
            {
                return;
            }
            finishing = [.. _cycles.Values];
            upTo = _upTo;
            _openFinishes = finishing.Count;
        }
        foreach (var cycle in finishing)
        {
            context.Scheduler.Enqueue(new DelegateUnit(cycle.Binding.Stream.Name + account.Of, isBackfill: false, cursor: cycle.From, async stop =>
            {
                if (!IsCurrent(generation))
                {
                    return;
                }
                try
                {
                    await EventApplier.RelistAsync(cycle, stop).ConfigureAwait(false);
                    await cycle.Binding.CommitAsync(context.NewBatch(), state => state.Events = Math.Max(state.Events ?? upTo, upTo), stop).ConfigureAwait(false);
                }
                catch (Exception e) when (account.Absorbs(cycle.Binding, e))
                {
                    Abandon(generation, repeat);
                    return;
                }
                FinishDone(generation, repeat);
            }));
        }
    }

    private void FinishDone(int generation, bool repeat)
    {
        lock (_lock)
        {
            if (generation != _generation || --_openFinishes > 0)
            {
                return;
            }
            Log.Debug("Applied Stripe events", ("events", _events), ("created_lte", DateTimeOffset.FromUnixTimeSeconds(_upTo)),
                ("documents", _cycles.Values.Sum(c => c.Documents)), ("relisted_parents", _cycles.Values.Sum(c => c.Relist.Count)));
        }
        Next(repeat);
    }
}
