using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SourceStripe.Capture;

/// <summary>
/// The ordered writer of a capture's stdout. A binding hands over a batch of <c>captured</c> lines
/// together with the checkpoint that covers them; both are written under one lock, documents first, so
/// a checkpoint is never ahead of its documents and no two bindings' bytes interleave.
/// </summary>
public sealed class CaptureOutput(Stream stdout)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _checkpoint = new(1024);

    public long Documents { get; private set; }

    public long Checkpoints { get; private set; }

    /// <summary>Writes <paramref name="documents"/> (whole captured lines) then the binding's checkpoint, and flushes.</summary>
    public void Commit(ReadOnlySpan<byte> documents, int documentCount, string stateKey, BindingState state)
    {
        lock (_gate)
        {
            stdout.Write(documents);
            WriteCheckpoint(stateKey, state);
            Documents += documentCount;
        }
    }

    /// <summary>Writes a line before any capture output (the <c>opened</c> response).</summary>
    public void WriteRaw(ReadOnlySpan<byte> line)
    {
        lock (_gate)
        {
            stdout.Write(line);
            stdout.Flush();
        }
    }

    /// <summary>A checkpoint that clears a binding's state before it starts over.</summary>
    public void Reset(string stateKey)
    {
        lock (_gate)
        {
            WriteCheckpoint(stateKey, null);
        }
    }

    private void WriteCheckpoint(string stateKey, BindingState? state)
    {
        _checkpoint.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_checkpoint, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteStartObject("checkpoint");
            json.WriteStartObject("state");
            json.WriteStartObject("updated");
            json.WriteStartObject("bindingStateV1");
            json.WritePropertyName(stateKey);
            if (state is null)
            {
                json.WriteNullValue();
            }
            else
            {
                JsonSerializer.Serialize(json, state, StateJson.Default.BindingState);
            }
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteBoolean("mergePatch", true);
            json.WriteEndObject();
            json.WriteEndObject();
            json.WriteEndObject();
        }
        _checkpoint.Write("\n"u8);
        stdout.Write(_checkpoint.WrittenSpan);
        stdout.Flush();
        Checkpoints++;
    }
}
