namespace SourceStripe.Generator;

/// <summary>streams.yaml as read, before any Stripe.net type is looked up. Compared by value.</summary>
internal sealed record Manifest(string Path, EquatableArray<StreamEntry> Streams, EquatableArray<DiagnosticInfo> Diagnostics);

internal sealed record StreamEntry(
    string Name,
    SourcePlace Place,
    string Path,
    string Model,
    SourcePlace ModelPlace,
    EquatableArray<SyncModeEntry> SyncModes,
    string? Cursor,
    SourcePlace? CursorPlace,
    EquatableArray<KeyValue> Query,
    ParentEntry? Parent,
    EquatableArray<EventEntry> Events,
    string? Needs,
    SourcePlace? NeedsPlace);

internal sealed record SyncModeEntry(string Mode, SourcePlace Place);

internal sealed record KeyValue(string Key, string Value);

internal sealed record ParentEntry(string Stream, SourcePlace Place, string Param, string IdField, string? Embedded, SourcePlace? EmbeddedPlace,
    bool Relist, SourcePlace? RelistPlace);

internal sealed record EventEntry(string Type, string Change, SourcePlace Place);
