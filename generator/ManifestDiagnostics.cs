using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace SourceStripe.Generator;

/// <summary>Every mistake the generator can report in streams.yaml, declared in one place.</summary>
internal static class ManifestDiagnostics
{
    private const string Category = "SourceStripe.Manifest";

    public static readonly DiagnosticDescriptor ManifestNotFound = Error(
        "SSG001", "streams.yaml not found",
        "No streams.yaml was passed to the generator: add <AdditionalFiles Include=\"../streams.yaml\" /> to the project");

    public static readonly DiagnosticDescriptor InvalidYaml = Error(
        "SSG002", "streams.yaml is not valid YAML",
        "streams.yaml could not be read: {0}");

    public static readonly DiagnosticDescriptor InvalidShape = Error(
        "SSG003", "streams.yaml has an entry of the wrong shape",
        "{0}");

    public static readonly DiagnosticDescriptor MissingField = Error(
        "SSG004", "A stream lacks a required field",
        "Stream '{0}' has no '{1}': {2}");

    public static readonly DiagnosticDescriptor UnknownField = Error(
        "SSG005", "Unknown field in streams.yaml",
        "Unknown field '{0}' in {1}; expected one of: {2}");

    public static readonly DiagnosticDescriptor DuplicateStream = Error(
        "SSG006", "Duplicate stream name",
        "Stream '{0}' is declared twice (first on line {1}); stream names must be unique");

    public static readonly DiagnosticDescriptor UnknownModel = Error(
        "SSG007", "Unknown Stripe.net model type",
        "Stream '{0}' names model '{1}', which is not a type in the referenced Stripe.net assembly; use a full type name such as Stripe.Charge");

    public static readonly DiagnosticDescriptor UnknownParent = Error(
        "SSG008", "Unknown parent stream",
        "Stream '{0}' names parent '{1}', which is not a stream in streams.yaml");

    public static readonly DiagnosticDescriptor UnknownSyncMode = Error(
        "SSG009", "Unknown sync mode",
        "Stream '{0}' lists sync mode '{1}'; expected incremental or full_refresh");

    public static readonly DiagnosticDescriptor IncrementalWithoutCursor = Error(
        "SSG010", "Incremental stream without a cursor, parent or events",
        "Stream '{0}' supports incremental but has no cursor, parent or events, so nothing would bring it its new objects; add 'cursor: created' (the field the created filter selects on), give it events, or drop incremental from sync_modes");

    public static readonly DiagnosticDescriptor UnknownChange = Error(
        "SSG011", "Unknown change meaning for an event type",
        "Event type '{1}' of stream '{0}' means '{2}'; expected create, update or delete");

    public static readonly DiagnosticDescriptor CursorNotOnModel = Error(
        "SSG012", "Cursor is not a timestamp of the model",
        "Stream '{0}' uses cursor '{1}', but {2} has no timestamp property with that JSON name");

    public static readonly DiagnosticDescriptor ParentParamUnused = Error(
        "SSG013", "Parent parameter does not appear in the path or query",
        "Stream '{0}' takes its parent's id as '{{{1}}}', but neither its path nor its query contains '{{{1}}}'");

    public static readonly DiagnosticDescriptor EmbeddedNotOnParent = Error(
        "SSG014", "Embedded sub-list is not a list of the parent model",
        "Stream '{0}' reads its first page from the parent's '{1}', but {2} has no Stripe list property with that JSON name");

    public static readonly DiagnosticDescriptor NoSyncModes = Error(
        "SSG015", "A stream has no sync mode",
        "Stream '{0}' lists no sync modes; expected a list such as [incremental, full_refresh], the first being the default");

    public static readonly DiagnosticDescriptor ParentCycle = Error(
        "SSG016", "Parent chain is too deep or circular",
        "Stream '{0}' has parent '{1}', which is itself a child stream; only one level of parents is supported");

    public static readonly DiagnosticDescriptor StripeNotReferenced = Error(
        "SSG017", "Stripe.net is not referenced",
        "The generator needs Stripe.net's metadata: add <PackageReference Include=\"Stripe.net\" /> to the project");

    public static readonly DiagnosticDescriptor CursorWithoutCreatedFilter = Error(
        "SSG018", "Cursor on a list without a created filter",
        "Stream '{0}' uses cursor '{1}', but its list does not accept created filters ({2} has no Created); remove the cursor: the list is then read whole, and its events bring its changes");

    public static readonly DiagnosticDescriptor UnknownNeeds = Error(
        "SSG019", "Unknown account feature in needs",
        "Stream '{0}' needs '{1}'; expected one of: {2}");

    public static readonly DiagnosticDescriptor NotRelistedWithoutEvents = Error(
        "SSG020", "A child that is not relisted has no events of its own",
        "Stream '{0}' sets parent.relist: false but lists no events of its own, so nothing would change it after its backfill; list its event types or remove relist");

    private static DiagnosticDescriptor Error(string id, string title, string message) =>
        new(id, title, message, Category, DiagnosticSeverity.Error, isEnabledByDefault: true);
}

/// <summary>A diagnostic held by value (descriptor id, place, arguments) so pipeline steps can cache it.</summary>
internal sealed record DiagnosticInfo(string Id, SourcePlace? Place, EquatableArray<string> Arguments)
{
    public Diagnostic ToDiagnostic()
    {
        var descriptor = Descriptors.Single(d => d.Id == Id);
        var location = Place is { } p
            ? Location.Create(p.Path, new TextSpan(p.Offset, p.Length), new LinePositionSpan(
                new LinePosition(p.Line - 1, p.Column - 1), new LinePosition(p.Line - 1, p.Column - 1 + p.Length)))
            : Location.None;
        return Diagnostic.Create(descriptor, location, Arguments.Items.Cast<object>().ToArray());
    }

    public static DiagnosticInfo Create(DiagnosticDescriptor descriptor, SourcePlace? place, params string[] arguments) =>
        new(descriptor.Id, place, arguments.ToImmutableArray());

    private static readonly DiagnosticDescriptor[] Descriptors = typeof(ManifestDiagnostics)
        .GetFields()
        .Select(f => f.GetValue(null))
        .OfType<DiagnosticDescriptor>()
        .ToArray();
}

/// <summary>A place in streams.yaml: 1-based line and column, and the character offset and length.</summary>
internal sealed record SourcePlace(string Path, int Line, int Column, int Offset, int Length);
