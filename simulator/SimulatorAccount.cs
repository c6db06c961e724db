using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator;

/// <summary>
/// The simulated Stripe account: every object of every stream (children with their parent id) and the events.
/// All reads return snapshots; the simulator and the tests may use it concurrently.
/// </summary>
public sealed class SimulatorAccount
{
    /// <summary>Stripe keeps events for 30 days.</summary>
    public static readonly TimeSpan EventRetention = TimeSpan.FromDays(30);

    private readonly Dictionary<string, StreamTable> _tables;
    private readonly Func<DateTimeOffset> _clock;

    internal SimulatorAccount(string accountId, int seed, Func<DateTimeOffset> clock, Dictionary<string, StreamTable> tables, long nextSequence)
    {
        AccountId = accountId;
        Seed = seed;
        _clock = clock;
        _tables = tables;
        NextSequence = nextSequence;
    }

    public string AccountId { get; }

    /// <summary>The names of the resources a capture lists (<see cref="Resources.Listed"/>).</summary>
    public IReadOnlyList<string> Streams { get; } = [.. Resources.Listed.Select(r => r.Name)];

    /// <summary>The simulator's "now".</summary>
    public DateTimeOffset Now => _clock();

    /// <summary>The events Stripe still keeps (the last 30 days, simulator clock), newest first, including those
    /// <c>/v1/events</c> does not list yet (see <see cref="SimulatedObject.VisibleAt"/>).</summary>
    public IReadOnlyList<SimulatedObject> Events => Objects("events");

    /// <summary>The retained events <c>/v1/events</c> lists now (visible at the simulator's "now"), newest first.</summary>
    public IReadOnlyList<SimulatedObject> VisibleEvents
    {
        get
        {
            lock (Gate)
            {
                var now = Now;
                return [.. Objects("events").Where(e => e.IsVisible(now))];
            }
        }
    }

    internal Lock Gate { get; } = new();

    internal int Seed { get; }

    /// <summary>The sequence the next new id encodes (ids grow with creation order).</summary>
    internal long NextSequence { get; set; }

    /// <summary>How many objects were created on demand (each gets its own random generator).</summary>
    internal long Mutations { get; set; }

    internal long NowUnix => _clock().ToUnixTimeSeconds();

    internal long RetentionStart => NowUnix - (long)EventRetention.TotalSeconds;

    /// <summary>
    /// Every live object of a resource (by <see cref="Resource.Name"/>), newest first. Subscriptions include canceled ones; deleted objects are gone;
    /// events are those still retained. A child resource's objects come grouped by parent, in parent order.
    /// </summary>
    public IReadOnlyList<SimulatedObject> Objects(string stream)
    {
        lock (Gate)
        {
            var table = Table(stream);
            var parentOrder = table.Resource.Parent is { } parent ? Table(parent).Store().Items.Select(p => p.Id) : null;
            var all = table.Snapshot(parentOrder);
            if (stream == "events")
            {
                var start = RetentionStart;
                all.RemoveAll(e => e.Created < start);
            }
            return all;
        }
    }

    /// <summary>A parent's children in the order the child endpoint lists them.</summary>
    public IReadOnlyList<SimulatedObject> Children(string stream, string parentId)
    {
        lock (Gate)
        {
            return [.. Table(stream).Store(parentId).Items];
        }
    }

    /// <summary>A live object of the stream, or null.</summary>
    public SimulatedObject? Find(string stream, string id)
    {
        lock (Gate)
        {
            return Table(stream).Find(id);
        }
    }

    public int Count(string stream) => Objects(stream).Count;

    internal StreamTable Table(string stream) =>
        _tables.TryGetValue(stream, out var table) ? table : throw new ArgumentException($"Unknown resource '{stream}'.", nameof(stream));

    /// <summary>Finds a live object of any stream by id (for expansion).</summary>
    internal SimulatedObject? FindAnywhere(string id)
    {
        foreach (var table in _tables.Values)
        {
            if (table.Find(id) is { } found)
            {
                return found;
            }
        }
        return null;
    }

    /// <summary>The next id for a new object or event.</summary>
    internal string NewId(string prefix, ref Rng rng) => StripeIds.New(prefix, NextSequence++, ref rng);
}
