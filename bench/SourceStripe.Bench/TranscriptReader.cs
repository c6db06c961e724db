using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Capture.Output;
using SourceStripe.State;

namespace SourceStripe.Bench;

/// <summary>Reads stdout lines as the Flow runtime does: documents by binding, checkpoints merged into the state.</summary>
internal sealed class TranscriptReader(IReadOnlyList<string> streams)
{
    private static readonly byte[] CapturedPrefix = "{\"captured\":{\"binding\":"u8.ToArray();
    private static readonly byte[] DocIdPrefix = ",\"doc\":{\"id\":\""u8.ToArray();
    private readonly HashSet<string>[] _ids = [.. streams.Select(_ => new HashSet<string>(StringComparer.Ordinal))];
    private readonly JsonObject _state = [];
    private bool _stateChanged;
    private bool _allBackfilled;

    public long Documents { get; private set; }

    public long DocumentBytes { get; private set; }

    public long Checkpoints { get; private set; }

    public IReadOnlyDictionary<string, HashSet<string>> Ids => streams.Select((s, i) => (s, i)).ToDictionary(p => p.s, p => _ids[p.i]);

    /// <summary>The state the runtime holds after every checkpoint read, as JSON.</summary>
    public byte[] StateJson() => Encoding.UTF8.GetBytes(_state.ToJsonString());

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
            // In place: a copy of the whole state per checkpoint costs the square of the accounts on a platform.
            MergePatch.ApplyInPlace(_state, checkpoint["state"]!["updated"]!.AsObject());
            Checkpoints++;
            _stateChanged = true;
        }
        else if (message["opened"] is null)
        {
            throw new InvalidOperationException("unexpected stdout line: " + Encoding.UTF8.GetString(line));
        }
    }

    /// <summary>
    /// Whether every stream has caught up in every account it has checkpointed: no account has a range pending in
    /// it, and some account has its cursors. Read through the connector's own state module, after each checkpoint.
    /// </summary>
    public bool AllBackfilled
    {
        get
        {
            if (_stateChanged)
            {
                var state = StateReader.ReadWritten(_state);
                _allBackfilled = streams.All(stream => state.ProgressOf(stream).ToList() is { Count: > 0 } accounts && accounts.All(a => !a.State.HasPending));
                _stateChanged = false;
            }
            return _allBackfilled;
        }
    }
}
