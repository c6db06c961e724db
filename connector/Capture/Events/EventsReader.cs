using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Logging;

namespace SourceStripe.Capture.Events;

/// <summary>
/// One cycle of an account's Stripe events, made when the account's events are due (and dropped once its units
/// have ended: an idle account holds none). A cycle reads up to now less the event lag, each request's pages once
/// (the requests at the same time), hands each page's events to the bindings they concern, which apply them at the
/// same time, then lists again the children of parents that changed and moves each binding's events cursor. A
/// page's next page is read as soon as its events are sorted, while its objects are still being read again: a
/// burst of changes to one resource, read again at its endpoint's pace, does not hold back the other resources'
/// changes on later pages. Every step is a unit on the capture's scheduler. Each account has its own: Stripe keeps
/// events per account. Flow's capture tells the <paramref name="planner"/> when a cycle ends, which times the next;
/// a one-shot capture (no planner) reads them once, when every binding has caught up.
/// </summary>
public sealed partial class EventsReader(CaptureContext context, EventRoutes routes, AccountCapture account, EventsPlanner? planner)
{
    private readonly Lock _lock = new();
    /// <summary>The account refused a request of the cycle: its units end without effect.</summary>
    private bool _abandoned;
    /// <summary>Pages of the cycle queued or being applied: the cycle's requests are done once none is.</summary>
    private int _openPages;
    private int _openFinishes;
    /// <summary>Units of the cycle queued or running (the first, <see cref="Begin"/>'s, from the start): the bindings it holds are let go once none is.</summary>
    private int _units = 1;
    private Dictionary<int, BindingCycle> _cycles = [];
    /// <summary>The bindings the cycle holds (<see cref="AccountCapture.UseForEvents"/>), let go when its last unit ends.</summary>
    private BindingCycle[] _held = [];
    private long _upTo;
    private int _events;

    /// <summary>The cycle's first unit.</summary>
    public WorkUnit Begin()
    {
        return new DelegateUnit(What, isBackfill: false, cursor: 0, async stop =>
        {
            try
            {
                await BeginAsync(stop).ConfigureAwait(false);
            }
            finally
            {
                UnitEnded();
            }
        });
    }

    private string What => "Stripe events" + account.Of;

    private async Task BeginAsync(CancellationToken stop)
    {
        foreach (var listener in routes.Listeners)
        {
            await account.CheckRetentionAsync(listener.Index, stop).ConfigureAwait(false);
        }
        // Whole seconds only: the current second may still gain events.
        var upTo = (context.Clock.GetUtcNow() - context.Config.Advanced.EventLag).ToUnixTimeSeconds() - 1;
        var cycles = new Dictionary<int, BindingCycle>();
        foreach (var listener in routes.Listeners)
        {
            if (account.UseForEvents(listener.Index, upTo) is var (binding, cursor))
            {
                cycles[listener.Index] = new BindingCycle(binding, cursor) { Applied = context.Applied };
            }
        }
        var requests = routes.Requests.Where(r => r.Any(t => routes.For(t).Any(target => cycles.ContainsKey(target.Binding.Index)))).ToList();
        lock (_lock)
        {
            _cycles = cycles;
            _held = [.. cycles.Values];
            _upTo = upTo;
            _openPages = requests.Count;
            _units += requests.Count;
        }
        if (requests.Count == 0)
        {
            Ended();
            return;
        }
        var from = cycles.Values.Min(c => c.From);
        foreach (var types in requests)
        {
            context.Scheduler.Enqueue(new EventsPageUnit(this, types, from, upTo, after: null));
        }
    }

    /// <summary>The cycle ended (its events applied, or abandoned): the planner times the account's next, sooner if it found events.</summary>
    private void Ended() => planner?.Ended(account, Volatile.Read(ref _events) > 0);

    /// <summary>A unit of the cycle ended: after the last, the cycle lets go of its bindings (folded if they have no other work).</summary>
    private void UnitEnded()
    {
        BindingCycle[] release;
        lock (_lock)
        {
            if (--_units > 0)
            {
                return;
            }
            release = _held;
            _held = [];
        }
        foreach (var cycle in release)
        {
            cycle.Binding.Unpin();
        }
    }

    /// <summary>The account refused a request of the cycle: its other units end without effect, and the next cycle is timed.</summary>
    private void Abandon()
    {
        lock (_lock)
        {
            if (_abandoned)
            {
                return;
            }
            _abandoned = true;
            _cycles = [];
        }
        Ended();
    }

    private EventRoutes Routes => routes;

    private Dictionary<int, BindingCycle> Cycles
    {
        get { lock (_lock) { return _cycles; } }
    }

    private void Counted(int events) => Interlocked.Add(ref _events, events);

    /// <summary>A page is queued: it is counted before the page that queued it is done, so the count never falls to 0 early.</summary>
    private void PageQueued()
    {
        lock (_lock)
        {
            _units++;
            if (!_abandoned)
            {
                _openPages++;
            }
        }
    }

    /// <summary>A page's events are applied; after the last page of every request, each binding finishes its cycle.</summary>
    private void PageDone()
    {
        List<BindingCycle> finishing;
        long upTo;
        lock (_lock)
        {
            if (_abandoned || --_openPages > 0)
            {
                return;
            }
            finishing = [.. _cycles.Values];
            upTo = _upTo;
            _openFinishes = finishing.Count;
            _units += finishing.Count;
        }
        foreach (var cycle in finishing)
        {
            context.Scheduler.Enqueue(new DelegateUnit(cycle.Binding.Stream.Name + account.Of, isBackfill: false, cursor: cycle.From, async stop =>
            {
                try
                {
                    await FinishAsync(cycle, upTo, stop).ConfigureAwait(false);
                }
                finally
                {
                    UnitEnded();
                }
            }));
        }
    }

    /// <summary>Lists again the children of the binding's changed parents and moves its events cursor to <paramref name="upTo"/>.</summary>
    private async Task FinishAsync(BindingCycle cycle, long upTo, CancellationToken stop)
    {
        if (!IsCurrent)
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
            Abandon();
            return;
        }
        FinishDone();
    }

    private void FinishDone()
    {
        lock (_lock)
        {
            if (_abandoned || --_openFinishes > 0)
            {
                return;
            }
            Log.Debug("Applied Stripe events", ("events", _events), ("created_lte", DateTimeOffset.FromUnixTimeSeconds(_upTo)),
                ("documents", _cycles.Values.Sum(c => c.Documents)), ("relisted_parents", _cycles.Values.Sum(c => c.Relist.Count)));
        }
        Ended();
    }
}
