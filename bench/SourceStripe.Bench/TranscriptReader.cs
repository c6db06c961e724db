using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SourceStripe.Bench;

/// <summary>Reads stdout lines as the Flow runtime does: documents by binding, checkpoints merged into the state.</summary>
internal sealed class TranscriptReader(IReadOnlyList<string> streams)
{
    private static readonly byte[] CapturedPrefix = "{\"captured\":{\"binding\":"u8.ToArray();
    private static readonly byte[] DocIdPrefix = ",\"doc\":{\"id\":\""u8.ToArray();
    private readonly HashSet<string>[] _ids = [.. streams.Select(_ => new HashSet<string>(StringComparer.Ordinal))];
    private JsonNode? _state = new JsonObject();

    public long Documents { get; private set; }

    public long DocumentBytes { get; private set; }

    public long Checkpoints { get; private set; }

    public bool AllBackfilled { get; private set; }

    public IReadOnlyDictionary<string, HashSet<string>> Ids => streams.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => _ids[p.i]);

    public void Add(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith(CapturedPrefix))
        {
            var rest = line[CapturedPrefix.Length..];
            var digits = rest.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
            var binding = int.Parse(rest[..digits], CultureInfo.InvariantCulture);
            rest = rest[digits..];
            string id;
            if (rest.StartsWith(DocIdPrefix))
            {
                rest = rest[DocIdPrefix.Length..];
                id = Encoding.UTF8.GetString(rest[..rest.IndexOf((byte)'"')]);
            }
            else
            {
                id = JsonNode.Parse(line)!["captured"]!["doc"]!["id"]!.GetValue<string>();
            }
            _ids[binding].Add(id);
            Documents++;
            DocumentBytes += line.Length + 1;
            return;
        }
        var message = JsonNode.Parse(line)!.AsObject();
        if (message["checkpoint"] is { } checkpoint)
        {
            _state = MergePatch(_state, checkpoint["state"]!["updated"]);
            Checkpoints++;
            // State is binding → account → cursors: a binding is backfilled once every account has nothing pending
            // (an account's cursors are a compact string then, or, as written before, an object with no pending range).
            AllBackfilled = streams.All(CaughtUp);
        }
        else if (message["opened"] is null)
        {
            throw new InvalidOperationException("unexpected stdout line: " + Encoding.UTF8.GetString(line));
        }
    }

    /// <summary>
    /// Whether a stream has caught up: no account's entry in its state has a range pending, and some account has
    /// caught up in it (an entry without ranges, or its column in an account's row in <c>accountsV1</c>).
    /// </summary>
    private bool CaughtUp(string stream)
    {
        var entries = (_state?["bindingStateV1"]?[stream]?["accounts"] as JsonObject)?.Where(a => a.Value is not null).Select(a => a.Value!).ToList() ?? [];
        if (entries.Any(e => e is JsonObject o && o["pending"] is JsonObject { Count: > 0 }))
        {
            return false;
        }
        var columns = (_state?["accountsV1"]?["bindings"] as JsonArray)?.Select(c => c!.GetValue<string>()).ToList() ?? [];
        var column = columns.FindLastIndex(c => c[(c.IndexOf(':', StringComparison.Ordinal) + 1)..] == stream);
        var inRows = column >= 0 && _state?["accountsV1"]?["rows"] is JsonObject rows
            && rows.Any(r => r.Value?.GetValue<string>().Split(';') is { } parts && column < parts.Length && parts[column] != "!");
        return entries.Count > 0 || inRows;
    }

    /// <summary>RFC 7396 JSON merge patch, as the Flow runtime applies checkpoints.</summary>
    private static JsonNode? MergePatch(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }
        var result = target as JsonObject ?? [];
        foreach (var (name, value) in patchObject.ToList())
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = MergePatch(result[name], value);
            }
        }
        return result;
    }
}
