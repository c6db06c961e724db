using System.Text.Json.Serialization;

namespace SourceStripe.Capture;

/// <summary>
/// One binding's progress, stored under <c>bindingStateV1.&lt;stateKey&gt;</c>. Invariant: every object of
/// the binding created before <see cref="Cursor"/> (incremental) has been captured, or lies in one of the
/// <see cref="Pending"/> ranges still to be read.
/// </summary>
public sealed class BindingState
{
    /// <summary>The binding's <c>backfill</c> counter this progress belongs to; a higher one starts over.</summary>
    [JsonPropertyName("backfill")]
    public long Backfill { get; set; }

    /// <summary>Incremental: the created time polling continues from (less the lookback window).</summary>
    [JsonPropertyName("cursor")]
    public long? Cursor { get; set; }

    /// <summary>
    /// Incremental streams with event types: every Stripe event created at or before this (unix seconds)
    /// has been applied. Set to the second before the backfill starts (objects read from then on already
    /// show earlier changes); events are applied once the backfill has finished.
    /// </summary>
    [JsonPropertyName("events")]
    public long? Events { get; set; }

    /// <summary>Created ranges still to read, by range id; a finished range is removed.</summary>
    [JsonPropertyName("pending")]
    public Dictionary<string, RangeState?> Pending { get; set; } = [];

    /// <summary>Full refresh: when the last complete pass started (unix seconds).</summary>
    [JsonPropertyName("lastPass")]
    public long? LastPass { get; set; }

    /// <summary>When the last poll or pass was scheduled from (unix seconds), to keep the interval across restarts.</summary>
    [JsonPropertyName("lastRun")]
    public long? LastRun { get; set; }
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

    public RangeState Copy() => new() { Gte = Gte, Lt = Lt, After = After, AfterCreated = AfterCreated, Child = Child };
}

/// <summary>A parent whose children are part-read: the last child captured.</summary>
public sealed record ChildPosition(
    [property: JsonPropertyName("parent")] string Parent,
    [property: JsonPropertyName("after")] string After);

/// <summary>The connector's whole state document: <c>{"bindingStateV1": {stateKey: BindingState}}</c>.</summary>
public sealed class CaptureState
{
    [JsonPropertyName("bindingStateV1")]
    public Dictionary<string, BindingState?> Bindings { get; set; } = [];
}

[JsonSourceGenerationOptions(WriteIndented = false)]
[JsonSerializable(typeof(CaptureState))]
[JsonSerializable(typeof(BindingState))]
internal sealed partial class StateJson : JsonSerializerContext;
