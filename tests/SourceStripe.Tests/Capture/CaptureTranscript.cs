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
            return Pending(_thisRunState, stateKey);
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

    private static int Pending(JsonNode? state, string stateKey) =>
        Account(state, stateKey) is { } account ? account["pending"]?.AsObject().Count ?? 0 : -1;

    /// <summary>A binding's cursors for its one account (<c>bindingStateV1.&lt;stateKey&gt;.accounts.&lt;account&gt;</c>), or null.</summary>
    public static JsonNode? Account(JsonNode? state, string stateKey) =>
        (state?["bindingStateV1"]?[stateKey]?["accounts"] as JsonObject)?.Select(a => a.Value).SingleOrDefault(a => a is not null);
}
