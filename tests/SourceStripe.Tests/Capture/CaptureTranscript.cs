using System.Text.Json.Nodes;
using SourceStripe.Capture.Output;
using SourceStripe.State;

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

    /// <summary>What <c>opened</c> asked of the runtime: to acknowledge each checkpoint it commits.</summary>
    public bool ExplicitAcknowledgements { get; private set; }

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
                ExplicitAcknowledgements = message["opened"]!["explicitAcknowledgements"]?.GetValue<bool>() == true;
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
            var thisRun = (JsonObject)_thisRunState!.DeepClone();
            if (_committedState?["version"] is { } version)
            {
                thisRun["version"] = version.DeepClone();
                thisRun["bindings"] = _committedState["bindings"]?.DeepClone();
            }
            return Pending(thisRun, stateKey);
        }
    }

    /// <summary>Pending ranges of a binding in the whole committed state (earlier runs included), or -1.</summary>
    public int PendingRangesOverall(string stateKey)
    {
        lock (_gate)
        {
            return Pending(_committedState, stateKey);
        }
    }

    /// <summary>Pending ranges of a binding, over all its accounts; -1 before any account checkpointed.</summary>
    private static int Pending(JsonNode? state, string stateKey)
    {
        var progress = Read(state).ProgressOf(stateKey).ToList();
        return progress.Count == 0 ? -1 : progress.Sum(p => p.State.PendingRanges.Count(r => r.Value is not null));
    }

    /// <summary>
    /// Whether each of <paramref name="accounts"/> has checkpointed each of <paramref name="stateKeys"/> with
    /// nothing pending, in the whole committed state: a capture of connected accounts has caught up.
    /// </summary>
    public bool CaughtUp(IEnumerable<string> stateKeys, IEnumerable<string> accounts)
    {
        lock (_gate)
        {
            var state = Read(_committedState);
            return stateKeys.All(key =>
            {
                var progress = state.ProgressOf(key).ToDictionary(p => p.Account, p => p.State);
                return accounts.All(id => progress.TryGetValue(id, out var account) && !account.HasPending);
            });
        }
    }

    /// <summary>The state as the connector reads it (through its own state module).</summary>
    public static CaptureState Read(JsonNode? state) => state is null ? new CaptureState() : StateReader.ReadWritten(state);

    /// <summary>
    /// A binding's progress for its one account as an object (<c>cursor</c>, <c>events</c>, <c>lastRun</c>,
    /// <c>lastPass</c>, <c>ranges</c>), or null. It is its entry in <c>pending</c>, made there from the account's row
    /// when it has none: the connector reads the entry first, so a test may edit it.
    /// </summary>
    public static JsonObject? Account(JsonNode? state, string stateKey)
    {
        if (state is not JsonObject root || Read(state).ProgressOf(stateKey).SingleOrDefault() is not ({ } account, { } progress))
        {
            return null;
        }
        if (root["pending"]?[stateKey]?[account] is JsonObject entry)
        {
            return entry;
        }
        var patch = JsonNode.Parse(new StatePatch().Pending(stateKey, account, progress).ToArray())!.AsObject();
        MergePatch.ApplyInPlace(root, patch);
        return root["pending"]![stateKey]![account]!.AsObject();
    }
}
