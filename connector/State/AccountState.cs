namespace SourceStripe.State;

/// <summary>
/// One account's progress in one binding. Invariant: every object of the account created before
/// <see cref="Cursor"/> (incremental) has been captured, or lies in one of the <see cref="Pending"/> ranges.
/// </summary>
public sealed class AccountState
{
    // The four cursors are kept as plain longs, Absent for none: a large platform holds one AccountState per
    // account and binding, and a long? takes twice the room.
    private const long Absent = long.MinValue;
    private long _cursor = Absent, _events = Absent, _lastPass = Absent, _lastRun = Absent;

    private static long? Read(long field) => field == Absent ? null : field;

    /// <summary>Incremental: the created time polling continues from (less the lookback window).</summary>
    public long? Cursor { get => Read(_cursor); set => _cursor = value ?? Absent; }

    /// <summary>
    /// Incremental streams with event types: every Stripe event created at or before this (unix seconds)
    /// has been applied. Set to the second before the backfill starts (objects read from then on already
    /// show earlier changes); events are applied once the backfill has finished.
    /// </summary>
    public long? Events { get => Read(_events); set => _events = value ?? Absent; }

    private static readonly Dictionary<string, RangeState?> NonePending = [];

    private Dictionary<string, RangeState?>? _pending;

    /// <summary>Created ranges still to read, by range id; a finished range is written as null, then forgotten.</summary>
    public Dictionary<string, RangeState?> Pending
    {
        get => _pending ??= [];
        set => _pending = value.Count == 0 ? null : value;
    }

    /// <summary>
    /// <see cref="Pending"/> to read without making it: most accounts of a large capture have nothing pending,
    /// and an empty dictionary for each of their bindings would cost more than the rest of their state.
    /// </summary>
    public IReadOnlyDictionary<string, RangeState?> PendingRanges => _pending ?? NonePending;

    /// <summary>Whether a range is pending (a finished one, written as null until its checkpoint, is not).</summary>
    public bool HasPending => _pending?.Values.Any(range => range is not null) == true;

    /// <summary>Forgets the finished ranges (written as null by the checkpoint just made), and the dictionary once none is left.</summary>
    public void ForgetFinished()
    {
        if (_pending is null)
        {
            return;
        }
        foreach (var key in _pending.Where(p => p.Value is null).Select(p => p.Key).ToList())
        {
            _pending.Remove(key);
        }
        if (_pending.Count == 0)
        {
            _pending = null;
        }
    }

    /// <summary>Full refresh: when the last complete pass started (unix seconds).</summary>
    public long? LastPass { get => Read(_lastPass); set => _lastPass = value ?? Absent; }

    /// <summary>When the last poll or pass was scheduled from (unix seconds), to keep the interval across restarts.</summary>
    public long? LastRun { get => Read(_lastRun); set => _lastRun = value ?? Absent; }
}

/// <summary>
/// A <c>created</c> range [<see cref="Gte"/>, <see cref="Lt"/>) read newest first, and how far it got:
/// the last object fully captured (its id and created time) and, for child streams, the position
/// inside that parent's children.
/// </summary>
public sealed class RangeState
{
    public long Gte { get; set; }

    public long Lt { get; set; }

    /// <summary>Id of the last object (a parent, for child streams) whose documents are all captured.</summary>
    public string? After { get; set; }

    /// <summary>Created time of <see cref="After"/>: the fallback position if that object disappears.</summary>
    public long? AfterCreated { get; set; }

    /// <summary>Child streams: a parent part-way through its children.</summary>
    public ChildPosition? Child { get; set; }
}

/// <summary>A parent whose children are part-read: the last child captured.</summary>
public sealed record ChildPosition(string Parent, string After);
