using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Capture.Output;
using SourceStripe.State;

namespace SourceStripe.Cli;

/// <summary>
/// A terminal capture's sink: documents go to a file (one <c>{"stream":…,"doc":…}</c> line each) or
/// nowhere, checkpoints are merged into the state document as Flow merges them, and the state file is
/// rewritten at most once a second, always after the documents it covers are flushed.
/// </summary>
public sealed class TerminalSink : ICaptureSink, IDisposable
{
    private static readonly TimeSpan SaveEvery = TimeSpan.FromSeconds(1);
    private static readonly byte[] CapturedPrefix = "{\"captured\":{\"binding\":"u8.ToArray();
    private static readonly byte[] DocMember = ",\"doc\":"u8.ToArray();

    private readonly Lock _gate = new();
    private readonly Stream? _documents;
    private readonly string? _statePath;
    private readonly TimeProvider _clock;
    private readonly byte[][] _linePrefixes;
    private readonly Dictionary<string, StreamProgress> _byStateKey;
    /// <summary>The state document (see <see cref="CaptureState"/>), owned here and patched in place.</summary>
    private readonly JsonObject _state;
    private DateTimeOffset _savedAt;
    private bool _dirty;

    /// <param name="streams">The bound streams in binding order; each binding's state key is its stream name.</param>
    /// <param name="documents">Where documents go; null counts them only.</param>
    /// <param name="statePath">The state file to keep current; null keeps the state in memory.</param>
    /// <param name="state">The state the capture starts from.</param>
    /// <param name="clock">Times the state file's saves.</param>
    public TerminalSink(IReadOnlyList<string> streams, Stream? documents, string? statePath, JsonNode? state, TimeProvider clock)
    {
        _documents = documents;
        _statePath = statePath;
        _state = state as JsonObject ?? [];
        _clock = clock;
        _savedAt = clock.GetUtcNow();
        Streams = [.. streams.Select(s => new StreamProgress(s))];
        _byStateKey = Streams.ToDictionary(s => s.Name);
        _linePrefixes = [.. streams.Select(s => Encoding.UTF8.GetBytes($"{{\"stream\":\"{JsonEncodedText.Encode(s)}\",\"doc\":"))];
    }

    public IReadOnlyList<StreamProgress> Streams { get; }

    /// <summary>Keeps every document's id, to count distinct objects (the demo's check; memory grows with them).</summary>
    public bool TrackIds { get; init; }

    /// <summary>Told each document's stream and id as it is written, with <see cref="TrackIds"/>; called under the sink's lock.</summary>
    public Action<string, string>? DocumentWritten { get; init; }

    /// <summary>Told once each checkpoint's documents and state are taken in (see <see cref="WrittenCheckpoints"/>).</summary>
    public Action? CheckpointWritten { get; init; }

    public void Opened()
    {
    }

    public void Commit(ReadOnlySpan<byte> capturedLines, int documents, string? stateKey, ReadOnlySpan<byte> statePatch)
    {
        var patch = JsonNode.Parse(statePatch) as JsonObject ?? throw new FormatException("a checkpoint's patch is not a JSON object");
        lock (_gate)
        {
            if (_documents is not null || TrackIds)
            {
                WriteDocuments(capturedLines);
            }
            // Merged as Flow merges the checkpoint: only what the patch names changes.
            MergePatch.ApplyInPlace(_state, patch);
            if (stateKey is not null)
            {
                var state = StateReader.ReadWritten(_state);
                _byStateKey[stateKey].Committed(documents, [.. state.ProgressOf(stateKey).Select(p => p.State)]);
            }
            _dirty = true;
            if (_clock.GetUtcNow() - _savedAt >= SaveEvery)
            {
                SaveState();
            }
        }
        CheckpointWritten?.Invoke();
    }

    /// <summary>Nothing to push at once: the state file is saved on its own schedule, after the documents it covers.</summary>
    public void Flush()
    {
    }

    /// <summary>Flushes the documents and writes the state file once more.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            SaveState();
        }
    }

    /// <summary>Rewrites Flow's captured lines as lines naming the stream (and notes their ids when tracking them).</summary>
    private void WriteDocuments(ReadOnlySpan<byte> lines)
    {
        while (!lines.IsEmpty)
        {
            var end = lines.IndexOf((byte)'\n');
            var line = end < 0 ? lines : lines[..end];
            lines = end < 0 ? [] : lines[(end + 1)..];
            if (!line.StartsWith(CapturedPrefix))
            {
                throw new FormatException("a captured line does not start as DocumentLines writes it");
            }
            var rest = line[CapturedPrefix.Length..];
            var docAt = rest.IndexOf(DocMember);
            if (docAt < 0 || !Utf8Parser.TryParse(rest[..docAt], out int binding, out _) || !line.EndsWith("}}"u8))
            {
                throw new FormatException("a captured line is not shaped as DocumentLines writes it");
            }
            var document = rest[(docAt + DocMember.Length)..^1];
            if (TrackIds)
            {
                var id = IdOf(document);
                Streams[binding].Ids.Add(id);
                DocumentWritten?.Invoke(Streams[binding].Name, id);
            }
            if (_documents is not null)
            {
                _documents.Write(_linePrefixes[binding]);
                _documents.Write(document);
                _documents.Write("\n"u8);
            }
        }
    }

    /// <summary>The document's top-level <c>id</c> (Stripe writes it first).</summary>
    private static string IdOf(ReadOnlySpan<byte> document)
    {
        var reader = new Utf8JsonReader(document);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var isId = reader.ValueTextEquals("id"u8);
            reader.Read();
            if (isId && reader.TokenType == JsonTokenType.String)
            {
                return reader.GetString()!;
            }
            reader.Skip();
        }
        throw new FormatException("a captured document has no id");
    }

    private void SaveState()
    {
        _documents?.Flush();
        if (_statePath is not null && _dirty)
        {
            try
            {
                // Replace, never rewrite in place: a kill mid-write must leave the previous state whole.
                var temporary = _statePath + ".partial";
                using (var file = File.Create(temporary))
                using (var json = new Utf8JsonWriter(file, new JsonWriterOptions { Indented = true }))
                {
                    _state.WriteTo(json);
                }
                File.Move(temporary, _statePath, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new IOException($"--state {_statePath}: cannot write the state file ({e.Message})", e);
            }
        }
        _dirty = false;
        _savedAt = _clock.GetUtcNow();
    }
}
