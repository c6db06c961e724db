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
/// parent's id, the field added to child documents, the parent's field embedding the first page, and
/// whether events make the parent's children be listed again (<paramref name="Relist"/> is false when the
/// child's own events carry it whole).</summary>
public sealed record ParentLink(string Stream, string Param, string IdField, string? Embedded, bool Relist = true);

/// <summary>What an account must have for a stream's list to answer (<paramref name="Feature"/> as in
/// streams.yaml's <c>needs</c>), and that requirement in words.</summary>
public sealed record AccountNeed(string Feature, string Description);

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
    ImmutableArray<EventType> events,
    AccountNeed? needs = null)
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

    /// <summary>What the account must have for this stream's list to answer; null when every account has it.</summary>
    public AccountNeed? Needs { get; } = needs;

    /// <summary>Whether the list accepts <c>created</c> filters: without, it is read whole on every pass.</summary>
    public bool HasCreatedFilter => CursorField is not null;

    public abstract ReadOnlySpan<byte> DocumentSchema { get; }

    public bool Supports(SyncMode mode) => SyncModes.Contains(mode);

    /// <summary>The stream whose list is paged: this one, or its parent for a child stream.</summary>
    public StreamDescriptor Listed => Parent is { } parent ? StreamCatalog.Find(parent.Stream)! : this;

    /// <summary>Whether Stripe events change this stream: its own event types, or its parent's for a child.</summary>
    public bool ChangesFromEvents =>
        !Events.IsEmpty || (Parent is { Relist: true } parent && StreamCatalog.Find(parent.Stream) is { Events.IsEmpty: false });

    public override string ToString() => Name;
}

public static partial class StreamCatalog
{
    /// <summary>The field naming the Stripe account a document belongs to, when connected accounts are captured.</summary>
    public const string AccountField = "account_id";

    /// <summary>
    /// The streams every account can read: those discover leaves enabled, and the terminal commands bind unless
    /// told otherwise (a stream an account may not have would fail the capture of every account without it).
    /// </summary>
    public static ImmutableArray<StreamDescriptor> EveryAccount => [.. All.Where(s => s.Needs is null)];

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
