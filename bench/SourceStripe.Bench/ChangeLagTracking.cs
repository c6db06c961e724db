using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>
/// Makes scenario (f)'s changes: at a steady rate, each an update of one object of a weighted stream, stamped with
/// its sequence number as <c>metadata.bench_rev</c> so that a captured document tells which version it is. About a
/// third of the changes touch an object changed shortly before (a payment moving on, a customer edited twice), as on
/// a real account; the rest pick any object of the stream. Deterministic for a seed, apart from timing.
/// </summary>
internal sealed class ChangeMaker
{
    public const string RevisionKey = "bench_rev";
    private const int RecentPerStream = 20;
    private const double RepeatShare = 0.3;

    private readonly StripeSimulator _simulator;
    private readonly IReadOnlyList<(string Stream, double Weight)> _mix;
    private readonly Dictionary<string, List<string>> _ids;
    private readonly Dictionary<string, List<string>> _recent;
    private readonly Random _random;

    public ChangeMaker(StripeSimulator simulator, IReadOnlyList<(string Stream, double Weight)> mix, int seed)
    {
        _simulator = simulator;
        _mix = mix;
        _ids = mix.ToDictionary(m => m.Stream, m => simulator.Account.Objects(m.Stream).Select(o => o.Id).ToList());
        _recent = mix.ToDictionary(m => m.Stream, _ => new List<string>());
        _random = new Random(seed);
    }

    /// <summary>Each changed object's last revision and when it was made (a <see cref="Stopwatch"/> timestamp).</summary>
    public Dictionary<(string Stream, string Id), (int Revision, long At)> Last { get; } = [];

    public int Changes { get; private set; }

    /// <summary>Every change in the order made: the object, its revision, and when (a <see cref="Stopwatch"/> timestamp).</summary>
    public List<(string Stream, string Id, int Revision, long At)> Made { get; } = [];

    /// <summary>Makes <paramref name="perSecond"/> changes a second for <paramref name="duration"/>; returns when the first and last were made.</summary>
    public async Task<(long Started, long Stopped)> RunAsync(int perSecond, TimeSpan duration)
    {
        var total = (int)(perSecond * duration.TotalSeconds);
        var started = Stopwatch.GetTimestamp();
        for (var revision = 1; revision <= total; revision++)
        {
            // Against the schedule, not after the previous change: a slow update does not slow the rate down.
            var wait = TimeSpan.FromSeconds((revision - 1) / (double)perSecond) - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }
            var (stream, id) = Pick();
            var stamp = revision.ToString(CultureInfo.InvariantCulture);
            _simulator.Update(stream, id, o => Metadata(o)[RevisionKey] = stamp);
            var at = Stopwatch.GetTimestamp();
            Last[(stream, id)] = (revision, at);
            Made.Add((stream, id, revision, at));
            Changes++;
        }
        return (started, Stopwatch.GetTimestamp());
    }

    private (string Stream, string Id) Pick()
    {
        var stream = PickStream();
        var recent = _recent[stream];
        var ids = _ids[stream];
        var id = recent.Count > 0 && _random.NextDouble() < RepeatShare ? recent[_random.Next(recent.Count)] : ids[_random.Next(ids.Count)];
        recent.Remove(id);
        recent.Add(id);
        if (recent.Count > RecentPerStream)
        {
            recent.RemoveAt(0);
        }
        return (stream, id);
    }

    private string PickStream()
    {
        var draw = _random.NextDouble() * _mix.Sum(m => m.Weight);
        foreach (var (stream, weight) in _mix)
        {
            draw -= weight;
            if (draw < 0)
            {
                return stream;
            }
        }
        return _mix[^1].Stream;
    }

    private static JsonObject Metadata(JsonObject stripeObject)
    {
        if (stripeObject["metadata"] is JsonObject metadata)
        {
            return metadata;
        }
        var created = new JsonObject();
        stripeObject["metadata"] = created;
        return created;
    }
}

/// <summary>
/// Watches the connector's stdout for documents carrying a <c>metadata.bench_rev</c> and keeps, per object and
/// revision, when it was first captured (a <see cref="Stopwatch"/> timestamp).
/// </summary>
internal sealed class CapturedRevisions(IReadOnlyList<string> streams)
{
    private static readonly byte[] Marker = "\"bench_rev\""u8.ToArray();
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Stream, string Id), Dictionary<int, long>> _arrivals = [];

    /// <summary>A <see cref="LineObserver"/>: only lines that mention the key are parsed (the backfill's do not).</summary>
    public void Observe(ReadOnlySpan<byte> line)
    {
        if (line.IndexOf(Marker) < 0)
        {
            return;
        }
        var at = Stopwatch.GetTimestamp();
        using var json = JsonDocument.Parse(line.ToArray());
        if (!json.RootElement.TryGetProperty("captured", out var captured)
            || !captured.GetProperty("doc").TryGetProperty("metadata", out var metadata)
            || metadata.ValueKind != JsonValueKind.Object
            || !metadata.TryGetProperty(ChangeMaker.RevisionKey, out var stamp))
        {
            return;
        }
        var key = (streams[captured.GetProperty("binding").GetInt32()], captured.GetProperty("doc").GetProperty("id").GetString()!);
        var revision = int.Parse(stamp.GetString()!, CultureInfo.InvariantCulture);
        lock (_gate)
        {
            if (!_arrivals.TryGetValue(key, out var revisions))
            {
                _arrivals[key] = revisions = [];
            }
            revisions.TryAdd(revision, at);
        }
    }

    /// <summary>
    /// When the object was first captured at <paramref name="revision"/> or a later one (a change a later one
    /// overtook is in Flow once the later one is); null if not yet.
    /// </summary>
    public long? ArrivalFrom((string Stream, string Id) key, int revision)
    {
        lock (_gate)
        {
            return _arrivals.TryGetValue(key, out var revisions) && revisions.Where(r => r.Key >= revision).Select(r => (long?)r.Value).Min() is { } at ? at : null;
        }
    }

    /// <summary>When <paramref name="revision"/> of the object was first captured; null if not yet.</summary>
    public long? Arrival((string Stream, string Id) key, int revision)
    {
        lock (_gate)
        {
            return _arrivals.TryGetValue(key, out var revisions) && revisions.TryGetValue(revision, out var at) ? at : null;
        }
    }
}
