namespace SourceStripe.Generator;

/// <summary>Everything the emitter writes, resolved against Stripe.net and compared by value.</summary>
internal sealed record GenerationSpec(string ApiVersion, EquatableArray<StreamSpec> Streams, EquatableArray<DiagnosticInfo> Diagnostics);

internal sealed record StreamSpec(
    string Name,
    string Path,
    string Model,
    EquatableArray<string> SyncModes,
    string? CursorField,
    EquatableArray<KeyValue> Query,
    ParentSpec? Parent,
    EquatableArray<EventSpec> Events,
    string? Needs,
    string Schema)
{
    public string TypeName => Identifier.Pascal(Name) + "Stream";

    public string PropertyName => Identifier.Pascal(Name);
}

internal sealed record ParentSpec(string Stream, string Param, string IdField, string? Embedded, bool Relist);

internal sealed record EventSpec(string Type, string Change);

internal static class Identifier
{
    public static string Pascal(string snake) =>
        string.Concat(snake.Split('_', '-', '.').Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));
}
