using System.Text.Json.Nodes;
using SourceStripe.Capture;

namespace SourceStripe.Tests.Capture;

/// <summary>What a capture wrote to stdout, read as the Flow runtime reads it: documents and merged state.</summary>
public sealed class CaptureTranscript
{
    private readonly Lock _gate = new();
    private readonly List<(int Binding, JsonObject Document)> _documents = [];
    private readonly List<string> _lines = [];
    private JsonNode? _committedState;
    private JsonNode? _thisRunState = new JsonObject();
    private int _committedDocuments;
    private readonly List<JsonNode> _history = [];

    public CaptureTranscript(JsonNode? initialState = null) => _committedState = initialState?.DeepClone() ?? new JsonObject();

    public bool Opened { get; private set; }

    public int Checkpoints { get; private set; }

    /// <summary>Parses one stdout line; anything but a protocol message fails the test.</summary>
    public void Add(string line)
    {
        var message = JsonNode.Parse(line)!.AsObject();
        lock (_gate)
        {
            _lines.Add(line);
            if (message["opened"] is not null)
            {
                Assert.False(Opened, "opened twice");
                Opened = true;
            }
            else if (message["captured"] is { } captured)
            {
                Assert.True(Opened, "captured before opened");
                _documents.Add((captured["binding"]!.GetValue<int>(), captured["doc"]!.AsObject()));
            }
            else if (message["checkpoint"] is { } checkpoint)
            {
                Assert.True(checkpoint["state"]!["mergePatch"]!.GetValue<bool>());
                _committedState = MergePatch.Apply(_committedState, checkpoint["state"]!["updated"]);
                _thisRunState = MergePatch.Apply(_thisRunState, checkpoint["state"]!["updated"]);
                _history.Add(_committedState!.DeepClone());
                _committedDocuments = _documents.Count;
                Checkpoints++;
            }
            else
            {
                Assert.Fail("unexpected stdout line: " + line);
            }
        }
    }

    public IReadOnlyList<(int Binding, JsonObject Document)> Documents
    {
        get { lock (_gate) { return [.. _documents]; } }
    }

    /// <summary>Documents a checkpoint has committed: what survives a crash.</summary>
    public IReadOnlyList<(int Binding, JsonObject Document)> CommittedDocuments
    {
        get { lock (_gate) { return [.. _documents.Take(_committedDocuments)]; } }
    }

    public JsonNode State
    {
        get { lock (_gate) { return _committedState!.DeepClone(); } }
    }

    /// <summary>The committed state just after the first checkpoint for which <paramref name="condition"/> held.</summary>
    public JsonNode? FirstStateWhere(Func<JsonNode, bool> condition)
    {
        lock (_gate)
        {
            return _history.FirstOrDefault(condition)?.DeepClone();
        }
    }

    public int LineCount
    {
        get { lock (_gate) { return _lines.Count; } }
    }

    /// <summary>Pending ranges of a binding's state as checkpointed by this run, or -1 before it checkpointed.</summary>
    public int PendingRanges(string stateKey)
    {
        lock (_gate)
        {
            // This run's patches name the rows' columns only if it added some: they come from the whole state.
            return Pending(_thisRunState, stateKey, _committedState);
        }
    }

    /// <summary>Pending ranges of a binding in the whole committed state (earlier runs included), or -1.</summary>
    public int PendingRangesOverall(string stateKey)
    {
        lock (_gate)
        {
            return Pending(_committedState, stateKey, _committedState);
        }
    }

    /// <summary>Pending ranges of a binding, over all its accounts; -1 before any account checkpointed.</summary>
    private static int Pending(JsonNode? state, string stateKey, JsonNode? columnsFrom) =>
        Unfold(state?.DeepClone(), columnsFrom)?["bindingStateV1"]?[stateKey]?["accounts"] is JsonObject accounts && accounts.Any(a => a.Value is not null)
            ? accounts.Where(a => a.Value is not null).ToList().Sum(a => Expanded(accounts, a.Key)!["pending"]?.AsObject().Count ?? 0)
            : -1;

    /// <summary>
    /// Whether each of <paramref name="accounts"/> has checkpointed each of <paramref name="stateKeys"/> with
    /// nothing pending, in the whole committed state: a capture of connected accounts has caught up.
    /// </summary>
    public bool CaughtUp(IEnumerable<string> stateKeys, IEnumerable<string> accounts)
    {
        lock (_gate)
        {
            var state = Unfold(_committedState!.DeepClone())!;
            return stateKeys.All(key => accounts.All(id => state["bindingStateV1"]?[key]?["accounts"] is JsonObject all
                && all[id] is not null && Expanded(all, id)!["pending"]?.AsObject().Count == 0));
        }
    }

    /// <summary>
    /// A binding's cursors for its one account (<c>bindingStateV1.&lt;stateKey&gt;.accounts.&lt;account&gt;</c>, or
    /// the account's row), or null. It is expanded in place to the object shape in the binding's state, which the
    /// connector reads first, so that a test may edit it.
    /// </summary>
    public static JsonNode? Account(JsonNode? state, string stateKey) =>
        Unfold(state)?["bindingStateV1"]?[stateKey]?["accounts"] is JsonObject accounts && accounts.SingleOrDefault(a => a.Value is not null) is { Key: { } id }
            ? Expanded(accounts, id)
            : null;

    /// <summary>One account's cursors in a binding's <c>accounts</c>, as an object (a compact string is expanded in place).</summary>
    public static JsonObject? Expanded(JsonObject accounts, string id)
    {
        if (accounts[id] is not JsonValue compact)
        {
            return accounts[id] as JsonObject;
        }
        var decoded = AccountStateConverter.Decode(compact.GetValue<string>());
        var expanded = new JsonObject { ["pending"] = new JsonObject() };
        foreach (var (name, value) in new[] { ("cursor", decoded.Cursor), ("events", decoded.Events), ("lastRun", decoded.LastRun), ("lastPass", decoded.LastPass) })
        {
            if (value is { } set)
            {
                expanded[name] = set;
            }
        }
        accounts[id] = expanded;
        return expanded;
    }

    /// <summary>
    /// Copies each account's row (<c>accountsV1.rows</c>) into the bindings' states as object entries where
    /// they have none, in place: the same state to the connector, whose entries take precedence over rows, and
    /// one place to look for an account's cursors in a test.
    /// </summary>
    public static JsonNode? Unfold(JsonNode? state, JsonNode? columnsFrom = null)
    {
        if (state?["accountsV1"] is not JsonObject accountRows || accountRows["rows"] is not JsonObject rows)
        {
            return state;
        }
        var columns = ((columnsFrom ?? state)["accountsV1"]?["bindings"] as JsonArray)?.Select(c => c!.GetValue<string>()).ToList() ?? [];
        var latest = columns.Select(AccountRows.StateKeyOf).Distinct().ToDictionary(key => key, key => AccountRows.LatestColumn(columns, key));
        if (state["bindingStateV1"] is not JsonObject bindings)
        {
            state["bindingStateV1"] = bindings = [];
        }
        foreach (var (account, row) in rows)
        {
            var decoded = row is null ? [] : AccountRow.Decode(row.GetValue<string>());
            foreach (var (key, column) in latest)
            {
                if (column >= decoded.Length || decoded[column] is not { } cursors)
                {
                    continue;
                }
                if (bindings[key] is not JsonObject binding)
                {
                    bindings[key] = binding = new JsonObject { ["backfill"] = long.Parse(columns[column].Split(':')[0], System.Globalization.CultureInfo.InvariantCulture) };
                }
                if (binding["accounts"] is not JsonObject accounts)
                {
                    binding["accounts"] = accounts = [];
                }
                if (accounts[account] is null)
                {
                    accounts[account] = AccountStateConverter.Encode(cursors);
                }
            }
        }
        return state;
    }
}
