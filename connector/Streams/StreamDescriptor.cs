using System.Collections.Immutable;

namespace SourceStripe.Streams;

public enum SyncMode
{
    Incremental,
    FullRefresh,
}

/// <summary>What a Stripe event means for the object it carries.</summary>
public enum ChangeKind
{
    Create,
    Update,
    Delete,
}

public sealed record EventType(string Type, ChangeKind Change);

/// <summary>How a child stream hangs off its parent: the parent stream, the <c>{param}</c> that takes the
/// parent's id, the field added to child documents, and the parent's field embedding the first page.</summary>
public sealed record ParentLink(string Stream, string Param, string IdField, string? Embedded);

/// <summary>
/// One stream of streams.yaml. The generator emits one sealed subclass per stream, with its JSON Schema.
/// </summary>
public abstract class StreamDescriptor(
    string name,
    string path,
    string model,
    ImmutableArray<SyncMode> syncModes,
    string? cursorField,
    ImmutableArray<KeyValuePair<string, string>> query,
    ParentLink? parent,
    ImmutableArray<EventType> events)
{
    public string Name { get; } = name;

    /// <summary>The list endpoint; a child's contains or is queried with <c>{param}</c>.</summary>
    public string Path { get; } = path;

    /// <summary>The Stripe.net type the schema was built from.</summary>
    public string Model { get; } = model;

    /// <summary>Supported sync modes, the default first.</summary>
    public ImmutableArray<SyncMode> SyncModes { get; } = syncModes;

    public SyncMode DefaultSyncMode => SyncModes[0];

    /// <summary>The document field holding the creation time the <c>created</c> filter selects on.</summary>
    public string? CursorField { get; } = cursorField;

    /// <summary>Fixed query parameters sent on every list call.</summary>
    public ImmutableArray<KeyValuePair<string, string>> Query { get; } = query;

    public ParentLink? Parent { get; } = parent;

    /// <summary>Event types whose <c>data.object</c> is this stream's object.</summary>
    public ImmutableArray<EventType> Events { get; } = events;

    public abstract ReadOnlySpan<byte> DocumentSchema { get; }

    public bool Supports(SyncMode mode) => SyncModes.Contains(mode);

    /// <summary>Whether Stripe events change this stream: its own event types, or its parent's for a child.</summary>
    public bool ChangesFromEvents =>
        !Events.IsEmpty || (Parent is { } parent && StreamCatalog.Find(parent.Stream) is { Events.IsEmpty: false });

    public override string ToString() => Name;
}

public static partial class StreamCatalog
{
    /// <summary>The stream with this name, or null.</summary>
    public static StreamDescriptor? Find(string name)
    {
        foreach (var stream in All)
        {
            if (stream.Name == name)
            {
                return stream;
            }
        }
        return null;
    }
}
