using System.Text.Json.Serialization;

namespace SourceStripe.Capture;

/// <summary>
/// One binding's progress, stored under <c>bindingStateV1.&lt;stateKey&gt;</c>: the <c>backfill</c> counter it
/// belongs to and, per Stripe account, that account's cursors. Checkpoints patch one account at a time, so
/// a capture of many accounts writes only what changed.
/// </summary>
public sealed class BindingState
{
    /// <summary>The binding's <c>backfill</c> counter this progress belongs to; a higher one starts over.</summary>
    [JsonPropertyName("backfill")]
    public long Backfill { get; set; }

    /// <summary>Each account's cursors, by account id; null members are what a merge patch deleted.</summary>
    [JsonPropertyName("accounts")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, AccountState?>? Accounts { get; set; }

    // Before state was kept per account, a binding's cursors sat here, for the platform account: read to
    // carry them over (the first checkpoint then deletes them), never written.

    [JsonPropertyName("cursor")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Cursor { get; set; }

    [JsonPropertyName("events")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Events { get; set; }

    [JsonPropertyName("pending")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Dictionary<string, RangeState?>? Pending { get; set; }

    [JsonPropertyName("lastPass")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastPass { get; set; }

    [JsonPropertyName("lastRun")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastRun { get; set; }

    /// <summary>The members of the shape of before per-account state: a checkpoint deletes them once carried over.</summary>
    public static readonly string[] UnkeyedMembers = ["cursor", "events", "pending", "lastPass", "lastRun"];

    /// <summary>Whether the state is in the shape written before cursors were kept per account.</summary>
    [JsonIgnore]
    public bool HasUnkeyedCursors => Cursor is not null || Events is not null || Pending is not null || LastPass is not null || LastRun is not null;

    /// <summary>
    /// Takes the state of <paramref name="accountId"/> out of the binding's (its capture keeps it from then on:
    /// the entry would only hold memory, a lot of it with many accounts), carrying unkeyed (older) cursors over to
    /// it when it has none and <paramref name="isPlatform"/>: they were written when only the platform was captured.
    /// </summary>
    public AccountState? Take(string accountId, bool isPlatform)
    {
        if (Accounts?.Remove(accountId, out var taken) == true && taken is { } state)
        {
            return state;
        }
        if (!HasUnkeyedCursors || !isPlatform)
        {
            return null;
        }
        return new AccountState
        {
            Cursor = Cursor,
            Events = Events,
            Pending = Pending?.Where(p => p.Value is not null).ToDictionary() ?? [],
            LastPass = LastPass,
            LastRun = LastRun,
        };
    }
}

/// <summary>
/// One account's progress in one binding. Invariant: every object of the account created before
/// <see cref="Cursor"/> (incremental) has been captured, or lies in one of the <see cref="Pending"/> ranges.
/// </summary>
[JsonConverter(typeof(AccountStateConverter))]
public sealed class AccountState
{
    // The four cursors are kept as plain longs, Absent for none: a large platform holds one AccountState per
    // account and binding (4.8 million at 100,000 accounts of 48 streams), and a long? takes twice the room.
    private const long Absent = long.MinValue;
    private long _cursor = Absent, _events = Absent, _lastPass = Absent, _lastRun = Absent;

    private static long? Read(long field) => field == Absent ? null : field;

    /// <summary>Incremental: the created time polling continues from (less the lookback window).</summary>
    [JsonPropertyName("cursor")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Cursor { get => Read(_cursor); set => _cursor = value ?? Absent; }

    /// <summary>
    /// Incremental streams with event types: every Stripe event created at or before this (unix seconds)
    /// has been applied. Set to the second before the backfill starts (objects read from then on already
    /// show earlier changes); events are applied once the backfill has finished.
    /// </summary>
    [JsonPropertyName("events")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Events { get => Read(_events); set => _events = value ?? Absent; }

    private static readonly Dictionary<string, RangeState?> NonePending = [];

    private Dictionary<string, RangeState?>? _pending;

    /// <summary>Created ranges still to read, by range id; a finished range is written as null, then forgotten.</summary>
    [JsonPropertyName("pending")]
    public Dictionary<string, RangeState?> Pending
    {
        get => _pending ??= [];
        set => _pending = value.Count == 0 ? null : value;
    }

    /// <summary>
    /// <see cref="Pending"/> to read without making it: most accounts of a large capture have nothing pending,
    /// and an empty dictionary for each of their bindings would cost more than the rest of their state.
    /// </summary>
    [JsonIgnore]
    public IReadOnlyDictionary<string, RangeState?> PendingRanges => _pending ?? NonePending;

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
    [JsonPropertyName("lastPass")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastPass { get => Read(_lastPass); set => _lastPass = value ?? Absent; }

    /// <summary>When the last poll or pass was scheduled from (unix seconds), to keep the interval across restarts.</summary>
    [JsonPropertyName("lastRun")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? LastRun { get => Read(_lastRun); set => _lastRun = value ?? Absent; }
}

/// <summary>
/// A <c>created</c> range [<see cref="Gte"/>, <see cref="Lt"/>) read newest first, and how far it got:
/// the last object fully captured (its id and created time) and, for child streams, the position
/// inside that parent's children.
/// </summary>
public sealed class RangeState
{
    [JsonPropertyName("gte")]
    public long Gte { get; set; }

    [JsonPropertyName("lt")]
    public long Lt { get; set; }

    /// <summary>Id of the last object (a parent, for child streams) whose documents are all captured.</summary>
    [JsonPropertyName("after")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? After { get; set; }

    /// <summary>Created time of <see cref="After"/>: the fallback position if that object disappears.</summary>
    [JsonPropertyName("afterCreated")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? AfterCreated { get; set; }

    /// <summary>Child streams: a parent part-way through its children.</summary>
    [JsonPropertyName("child")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ChildPosition? Child { get; set; }
}

/// <summary>A parent whose children are part-read: the last child captured.</summary>
public sealed record ChildPosition(
    [property: JsonPropertyName("parent")] string Parent,
    [property: JsonPropertyName("after")] string After);

/// <summary>
/// The connector's whole state document: <c>{"bindingStateV1": {stateKey: BindingState}, "accountsV1": AccountRows}</c>.
/// A binding's entry for an account holds what that account has pending there; once it has caught up, its
/// cursors move to the account's row, and an entry, while there is one, takes precedence over the row.
/// </summary>
public sealed class CaptureState
{
    [JsonPropertyName("bindingStateV1")]
    public Dictionary<string, BindingState?> Bindings { get; set; } = [];

    [JsonPropertyName("accountsV1")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AccountRows? Accounts { get; set; }
}

/// <summary>The accounts' rows (<see cref="AccountRow"/>) and what their columns are.</summary>
public sealed class AccountRows
{
    /// <summary>
    /// The rows' columns, in order: <c>backfill:stateKey</c>, a binding's state key and the backfill counter its
    /// cursors belong to. Only ever appended to, so a row written before a binding was added still reads; a
    /// binding whose counter rises gets a new column, and the old one is no longer read.
    /// </summary>
    [JsonPropertyName("bindings")]
    public List<string>? Bindings { get; set; }

    /// <summary>Each account's row, by account id; null members are what a merge patch deleted.</summary>
    [JsonPropertyName("rows")]
    public Dictionary<string, string?>? Rows { get; set; }

    /// <summary>The column name of a binding's cursors under a backfill counter.</summary>
    public static string Column(long backfill, string stateKey) => FormattableString.Invariant($"{backfill}:{stateKey}");

    /// <summary>The state key a column name (<see cref="Column"/>) is for.</summary>
    public static string StateKeyOf(string column) => column[(column.IndexOf(':', StringComparison.Ordinal) + 1)..];

    /// <summary>The binding's latest column (its current backfill counter's: columns are appended), or -1.</summary>
    public static int LatestColumn(IReadOnlyList<string> columns, string stateKey)
    {
        for (var i = columns.Count - 1; i >= 0; i--)
        {
            if (StateKeyOf(columns[i]) == stateKey)
            {
                return i;
            }
        }
        return -1;
    }
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(CaptureState))]
[JsonSerializable(typeof(BindingState))]
[JsonSerializable(typeof(AccountState))]
[JsonSerializable(typeof(Dictionary<string, RangeState?>))]
[JsonSerializable(typeof(List<string>))]
internal sealed partial class StateJson : JsonSerializerContext;
