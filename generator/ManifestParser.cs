using System.Collections.Immutable;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SourceStripe.Generator;

/// <summary>
/// Reads streams.yaml into <see cref="Manifest"/>, reporting every shape mistake with its line. Meaning
/// that needs Stripe.net (model types, cursor fields) is checked later, by <see cref="StreamResolver"/>.
/// </summary>
internal sealed class ManifestParser
{
    private static readonly string[] StreamKeys = ["name", "path", "model", "sync_modes", "cursor", "needs", "query", "parent", "events"];
    private static readonly string[] ParentKeys = ["stream", "param", "id_field", "embedded", "relist"];

    private readonly string _path;
    private readonly ImmutableArray<DiagnosticInfo>.Builder _diagnostics = ImmutableArray.CreateBuilder<DiagnosticInfo>();

    private ManifestParser(string path) => _path = path;

    public static Manifest Parse(string path, string text) => new ManifestParser(path).Parse(text);

    private Manifest Parse(string text)
    {
        var streams = ImmutableArray.CreateBuilder<StreamEntry>();
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            Report(ManifestDiagnostics.InvalidYaml, Place(e.Start, 1), e.Message);
            return Result(streams);
        }
        catch (InvalidOperationException e)
        {
            // YamlDotNet throws this for some unterminated flow collections, without a position.
            Report(ManifestDiagnostics.InvalidYaml, Place(LastGoodMark(text), 1), e.Message);
            return Result(streams);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root
            || !TryGet(root, "streams", out var streamsNode) || streamsNode is not YamlSequenceNode list)
        {
            var place = yaml.Documents.Count > 0 ? Place(yaml.Documents[0].RootNode) : null;
            Report(ManifestDiagnostics.InvalidShape, place, "streams.yaml must be a mapping with a 'streams:' list of stream entries");
            return Result(streams);
        }

        var seen = new Dictionary<string, SourcePlace>();
        foreach (var item in list)
        {
            if (item is not YamlMappingNode map)
            {
                Report(ManifestDiagnostics.InvalidShape, Place(item), "Each entry of 'streams' must be a mapping with name, path, model and sync_modes");
                continue;
            }

            var stream = ParseStream(map);
            if (stream is null)
            {
                continue;
            }
            if (seen.TryGetValue(stream.Name, out var first))
            {
                Report(ManifestDiagnostics.DuplicateStream, stream.Place, stream.Name, first.Line.ToString(System.Globalization.CultureInfo.InvariantCulture));
                continue;
            }
            seen.Add(stream.Name, stream.Place);
            streams.Add(stream);
        }
        return Result(streams);
    }

    /// <summary>Where the YAML parser last stood before failing: the best place to point at.</summary>
    private static Mark LastGoodMark(string text)
    {
        var parser = new Parser(new StringReader(text));
        var mark = Mark.Empty;
        try
        {
            while (parser.MoveNext())
            {
                mark = parser.Current?.End ?? mark;
            }
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            return e is YamlException y ? y.Start : mark;
        }
        return mark;
    }

    private Manifest Result(ImmutableArray<StreamEntry>.Builder streams) =>
        new(_path, streams.ToImmutable(), _diagnostics.ToImmutable());

    private StreamEntry? ParseStream(YamlMappingNode map)
    {
        CheckKeys(map, StreamKeys, "a stream entry");
        if (!TryScalar(map, "name", out var name, out var namePlace))
        {
            Report(ManifestDiagnostics.MissingField, Place(map), "(unnamed)", "name", "every stream needs a unique name");
            return null;
        }

        var complete = true;
        if (!TryScalar(map, "path", out var path, out _))
        {
            Report(ManifestDiagnostics.MissingField, namePlace, name, "path", "give the Stripe list endpoint, such as /v1/charges");
            complete = false;
        }
        if (!TryScalar(map, "model", out var model, out var modelPlace))
        {
            Report(ManifestDiagnostics.MissingField, namePlace, name, "model", "give the Stripe.net type of its objects, such as Stripe.Charge");
            complete = false;
        }

        var syncModes = ImmutableArray.CreateBuilder<SyncModeEntry>();
        if (!TryGet(map, "sync_modes", out var modesNode))
        {
            Report(ManifestDiagnostics.MissingField, namePlace, name, "sync_modes", "list the supported modes, the default first, such as [incremental, full_refresh]");
            complete = false;
        }
        else if (modesNode is YamlSequenceNode modes)
        {
            foreach (var mode in modes)
            {
                if (mode is YamlScalarNode { Value: { } value })
                {
                    syncModes.Add(new SyncModeEntry(value, Place(mode)));
                }
                else
                {
                    Report(ManifestDiagnostics.InvalidShape, Place(mode), $"Stream '{name}': each sync mode must be a plain word, incremental or full_refresh");
                }
            }
        }
        else
        {
            Report(ManifestDiagnostics.InvalidShape, Place(modesNode), $"Stream '{name}': sync_modes must be a list such as [incremental, full_refresh]");
            complete = false;
        }

        // TryScalar leaves the place null when the field is absent.
        var cursor = TryScalar(map, "cursor", out var c, out var cursorPlace) ? c : null;
        var needs = TryScalar(map, "needs", out var n, out var needsPlace) ? n : null;

        var query = Mapping(map, "query", $"Stream '{name}': query must be a mapping of parameter names to values", $"Stream '{name}': each query parameter must be 'name: value'")
            .Select(e => new KeyValue(e.Key, e.Value)).ToImmutableArray();

        ParentEntry? parent = null;
        if (TryGet(map, "parent", out var parentNode))
        {
            parent = ParseParent(name, parentNode);
            complete &= parent is not null;
        }

        var events = Mapping(map, "events", $"Stream '{name}': events must be a mapping of event types to create, update or delete",
            $"Stream '{name}': each event must be 'event.type: create|update|delete'").Select(e => new EventEntry(e.Key, e.Value, e.Place)).ToImmutableArray();

        return complete
            ? new StreamEntry(name, namePlace, path!, model!, modelPlace!, syncModes.ToImmutable(), cursor, cursorPlace,
                query, parent, events, needs, needsPlace)
            : null;
    }

    private ParentEntry? ParseParent(string name, YamlNode node)
    {
        if (node is not YamlMappingNode map)
        {
            Report(ManifestDiagnostics.InvalidShape, Place(node), $"Stream '{name}': parent must be a mapping with stream, param and id_field");
            return null;
        }
        CheckKeys(map, ParentKeys, $"the parent of stream '{name}'");
        var complete = true;
        if (!TryScalar(map, "stream", out var stream, out var streamPlace))
        {
            Report(ManifestDiagnostics.MissingField, Place(map), name, "parent.stream", "name the parent stream");
            complete = false;
        }
        if (!TryScalar(map, "param", out var param, out _))
        {
            Report(ManifestDiagnostics.MissingField, Place(map), name, "parent.param", "name the {placeholder} that takes the parent's id");
            complete = false;
        }
        if (!TryScalar(map, "id_field", out var idField, out _))
        {
            Report(ManifestDiagnostics.MissingField, Place(map), name, "parent.id_field", "name the field added to each child document, such as invoice_id");
            complete = false;
        }
        TryScalar(map, "embedded", out var embedded, out var embeddedPlace);
        var relist = true;
        SourcePlace? relistPlace = null;
        if (TryScalar(map, "relist", out var r, out var rp))
        {
            relistPlace = rp;
            if (r is "true" or "false")
            {
                relist = r == "true";
            }
            else
            {
                Report(ManifestDiagnostics.InvalidShape, rp, $"Stream '{name}': parent.relist must be true or false");
                complete = false;
            }
        }
        return complete ? new ParentEntry(stream!, streamPlace!, param!, idField!, embedded, embeddedPlace, relist, relistPlace) : null;
    }

    /// <summary>The scalar pairs of the mapping under <paramref name="key"/>, each value with its place; shape mistakes reported.</summary>
    private List<(string Key, string Value, SourcePlace Place)> Mapping(YamlMappingNode map, string key, string notAMapping, string badEntry)
    {
        var pairs = new List<(string, string, SourcePlace)>();
        if (!TryGet(map, key, out var node))
        {
            return pairs;
        }
        if (node is not YamlMappingNode mapping)
        {
            Report(ManifestDiagnostics.InvalidShape, Place(node), notAMapping);
            return pairs;
        }
        foreach (var entry in mapping.Children)
        {
            if (entry.Key is YamlScalarNode { Value: { } k } && entry.Value is YamlScalarNode { Value: { } v })
            {
                pairs.Add((k, v, Place(entry.Value)));
            }
            else
            {
                Report(ManifestDiagnostics.InvalidShape, Place(entry.Key), badEntry);
            }
        }
        return pairs;
    }

    private void CheckKeys(YamlMappingNode map, string[] allowed, string where)
    {
        foreach (var key in map.Children.Keys)
        {
            if (key is YamlScalarNode { Value: { } k } && Array.IndexOf(allowed, k) < 0)
            {
                Report(ManifestDiagnostics.UnknownField, Place(key), k, where, string.Join(", ", allowed));
            }
        }
    }

    private static bool TryGet(YamlMappingNode map, string key, out YamlNode value)
    {
        foreach (var entry in map.Children)
        {
            if (entry.Key is YamlScalarNode { Value: { } k } && k == key)
            {
                value = entry.Value;
                return true;
            }
        }
        value = null!;
        return false;
    }

    private bool TryScalar(YamlMappingNode map, string key, out string value, out SourcePlace place)
    {
        if (TryGet(map, key, out var node) && node is YamlScalarNode { Value: { Length: > 0 } v })
        {
            value = v;
            place = Place(node);
            return true;
        }
        value = null!;
        place = null!;
        return false;
    }

    private SourcePlace Place(YamlNode node) => PlaceOf(node, _path);

    private SourcePlace Place(Mark mark, int length) => new(_path, (int)mark.Line, (int)mark.Column, (int)mark.Index, length);

    private static SourcePlace PlaceOf(YamlNode node, string path) =>
        new(path, (int)node.Start.Line, (int)node.Start.Column, (int)node.Start.Index, (int)Math.Max(1, node.End.Index - node.Start.Index));

    private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, SourcePlace? place, params string[] arguments) =>
        _diagnostics.Add(DiagnosticInfo.Create(descriptor, place, arguments));
}
