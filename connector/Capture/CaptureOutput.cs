using System.Text.Json;
using SourceStripe.Protocol;

namespace SourceStripe.Capture;

/// <summary>
/// A capture's view of stdout. A binding hands over a batch of <c>captured</c> lines together with the
/// checkpoint that covers them; both go out in one write, documents first, so a checkpoint is never
/// ahead of its documents and no two bindings' bytes interleave.
/// </summary>
public sealed class CaptureOutput(ProtocolOutput output)
{
    private long _documents;
    private long _checkpoints;

    public long Documents => Interlocked.Read(ref _documents);

    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    public void Opened() => output.WriteLine(json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("opened");
        json.WriteBoolean("explicitAcknowledgements", false);
        json.WriteEndObject();
        json.WriteEndObject();
    });

    /// <summary>Writes <paramref name="documents"/> (whole captured lines) then the binding's checkpoint.</summary>
    public void Commit(ReadOnlySpan<byte> documents, int documentCount, string stateKey, BindingState state)
    {
        output.Write(documents, json => WriteCheckpoint(json, stateKey, state));
        Interlocked.Add(ref _documents, documentCount);
    }

    /// <summary>A checkpoint that clears a binding's state before it starts over.</summary>
    public void Reset(string stateKey) => output.Write([], json => WriteCheckpoint(json, stateKey, null));

    private void WriteCheckpoint(Utf8JsonWriter json, string stateKey, BindingState? state)
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
        Interlocked.Increment(ref _checkpoints);
    }
}
