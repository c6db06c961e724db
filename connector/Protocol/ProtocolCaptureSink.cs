using System.Text.Json;
using SourceStripe.Capture;

namespace SourceStripe.Protocol;

/// <summary>A capture's documents and checkpoints as Flow's protocol lines on stdout, each batch in one write.</summary>
public sealed class ProtocolCaptureSink(ProtocolOutput output) : ICaptureSink
{
    public void Opened() => output.WriteLine(json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("opened");
        json.WriteBoolean("explicitAcknowledgements", false);
        json.WriteEndObject();
        json.WriteEndObject();
    });

    public void Commit(ReadOnlySpan<byte> capturedLines, int documents, string stateKey, BindingState? state) =>
        output.Write(capturedLines, json => WriteCheckpoint(json, stateKey, state));

    private static void WriteCheckpoint(Utf8JsonWriter json, string stateKey, BindingState? state)
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
}
