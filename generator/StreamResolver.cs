using System.Collections.Immutable;
using Microsoft.CodeAnalysis;

namespace SourceStripe.Generator;

/// <summary>
/// Checks the manifest's meaning against Stripe.net (models, cursors, parents, events) and builds each
/// stream's schema. Streams with a mistake are reported and left out.
/// </summary>
internal static class StreamResolver
{
    private static readonly string[] SyncModes = ["incremental", "full_refresh"];
    private static readonly string[] Changes = ["create", "update", "delete"];

    /// <summary>What an account must have for a <c>needs</c> stream's list to answer, as a sentence's object.</summary>
    public static readonly IReadOnlyDictionary<string, string> Needs = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["connect"] = "a Connect platform account",
        ["issuing"] = "Stripe Issuing enabled on the account",
        ["radar_lists"] = "Radar for Fraud Teams (value lists) on the account",
        ["billing_meters"] = "usage-based billing (meters) on the account",
    };

    public static GenerationSpec Resolve(Manifest manifest, EquatableArray<ReferencedAssembly> stripe, CancellationToken cancellation)
    {
        var diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();
        diagnostics.AddRange(manifest.Diagnostics);

        var compilation = StripeReferences.Compile(stripe);
        var types = new StripeTypes(compilation);
        if (types.StripeEntityBase is null)
        {
            diagnostics.Add(DiagnosticInfo.Create(ManifestDiagnostics.StripeNotReferenced, null));
            return new GenerationSpec("", ImmutableArray<StreamSpec>.Empty, diagnostics.ToImmutable());
        }

        var byName = manifest.Streams.ToDictionary(s => s.Name);
        var streams = ImmutableArray.CreateBuilder<StreamSpec>();
        foreach (var stream in manifest.Streams)
        {
            cancellation.ThrowIfCancellationRequested();
            var spec = ResolveStream(stream, byName, compilation, types, diagnostics);
            if (spec is not null)
            {
                streams.Add(spec);
            }
        }
        return new GenerationSpec(ApiVersion(compilation), streams.ToImmutable(), diagnostics.ToImmutable());
    }

    private static StreamSpec? ResolveStream(StreamEntry stream, Dictionary<string, StreamEntry> byName, Compilation compilation,
        StripeTypes types, ImmutableArray<DiagnosticInfo>.Builder diagnostics)
    {
        var before = diagnostics.Count;
        void Report(DiagnosticDescriptor d, SourcePlace? place, params string[] args) => diagnostics.Add(DiagnosticInfo.Create(d, place, args));

        var model = compilation.GetTypeByMetadataName(stream.Model);
        if (model is null)
        {
            Report(ManifestDiagnostics.UnknownModel, stream.ModelPlace, stream.Name, stream.Model);
        }

        if (stream.SyncModes.Count == 0)
        {
            Report(ManifestDiagnostics.NoSyncModes, stream.Place, stream.Name);
        }
        foreach (var mode in stream.SyncModes.Where(m => Array.IndexOf(SyncModes, m.Mode) < 0))
        {
            Report(ManifestDiagnostics.UnknownSyncMode, mode.Place, stream.Name, mode.Mode);
        }

        StreamEntry? parent = null;
        if (stream.Parent is { } link)
        {
            if (!byName.TryGetValue(link.Stream, out parent))
            {
                Report(ManifestDiagnostics.UnknownParent, link.Place, stream.Name, link.Stream);
            }
            else if (parent.Parent is not null)
            {
                Report(ManifestDiagnostics.ParentCycle, link.Place, stream.Name, link.Stream);
            }
            var placeholder = "{" + link.Param + "}";
            if (!stream.Path.Contains(placeholder) && !stream.Query.Any(q => q.Value.Contains(placeholder)))
            {
                Report(ManifestDiagnostics.ParentParamUnused, link.Place, stream.Name, link.Param);
            }
            if (link.Embedded is { } embedded && parent is not null && compilation.GetTypeByMetadataName(parent.Model) is { } parentModel
                && !HasProperty(parentModel, embedded, t => SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, types.StripeList)))
            {
                Report(ManifestDiagnostics.EmbeddedNotOnParent, link.EmbeddedPlace ?? link.Place, stream.Name, embedded, parent.Model);
            }
        }

        var incremental = stream.SyncModes.Any(m => m.Mode == "incremental");
        if (incremental && stream.Cursor is null && stream.Parent is null && stream.Events.Count == 0)
        {
            Report(ManifestDiagnostics.IncrementalWithoutCursor, stream.Place, stream.Name);
        }
        if (stream.Cursor is { } cursor && model is not null)
        {
            if (!HasProperty(model, cursor, IsTimestamp))
            {
                Report(ManifestDiagnostics.CursorNotOnModel, stream.CursorPlace, stream.Name, cursor, stream.Model);
            }
            // Stripe rejects a created filter its list does not take (400 "Received unknown parameter"): Stripe.net's list
            // options mirror the parameters each list accepts.
            var options = stream.Model + "ListOptions";
            if (compilation.GetTypeByMetadataName(options) is not { } listOptions || !HasMember(listOptions, "Created"))
            {
                Report(ManifestDiagnostics.CursorWithoutCreatedFilter, stream.CursorPlace, stream.Name, cursor, options);
            }
        }
        if (stream.Needs is { } needs && !Needs.ContainsKey(needs))
        {
            Report(ManifestDiagnostics.UnknownNeeds, stream.NeedsPlace, stream.Name, needs, string.Join(", ", Needs.Keys));
        }
        if (stream.Parent is { Relist: false } notRelisted && stream.Events.Count == 0)
        {
            Report(ManifestDiagnostics.NotRelistedWithoutEvents, notRelisted.RelistPlace ?? notRelisted.Place, stream.Name);
        }

        foreach (var e in stream.Events.Where(e => Array.IndexOf(Changes, e.Change) < 0))
        {
            Report(ManifestDiagnostics.UnknownChange, e.Place, stream.Name, e.Type, e.Change);
        }

        if (diagnostics.Count > before || model is null)
        {
            return null;
        }

        var parentSpec = stream.Parent is { } p ? new ParentSpec(p.Stream, p.Param, p.IdField, p.Embedded, p.Relist) : null;
        var schema = new SchemaBuilder(types).BuildRoot(model, stream.Name, stream.Path, parentSpec);
        return new StreamSpec(
            stream.Name,
            stream.Path,
            stream.Model,
            stream.SyncModes.Select(m => m.Mode).ToImmutableArray(),
            stream.Cursor,
            stream.Query,
            parentSpec,
            stream.Events.Select(e => new EventSpec(e.Type, e.Change)).ToImmutableArray(),
            stream.Needs,
            schema);
    }

    private static bool IsTimestamp(ITypeSymbol type) =>
        type.SpecialType == SpecialType.System_DateTime
        || type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n && n.TypeArguments[0].SpecialType == SpecialType.System_DateTime;

    private static bool HasMember(INamedTypeSymbol type, string name)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (!t.GetMembers(name).IsEmpty)
            {
                return true;
            }
        }
        return false;
    }

    private static bool HasProperty(INamedTypeSymbol type, string jsonName, Func<ITypeSymbol, bool> typeMatches)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (t.GetMembers().OfType<IPropertySymbol>().Any(p => SchemaBuilder.JsonName(p) == jsonName && typeMatches(p.Type)))
            {
                return true;
            }
        }
        return false;
    }

    private static string ApiVersion(Compilation compilation) =>
        compilation.GetTypeByMetadataName("Stripe.ApiVersion")?.GetMembers("Current").OfType<IFieldSymbol>().FirstOrDefault()?.ConstantValue as string ?? "";
}
