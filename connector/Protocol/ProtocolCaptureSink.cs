using System.Text.Json;
using SourceStripe.Capture.Output;

namespace SourceStripe.Protocol;

/// <summary>
/// A capture's documents and checkpoints as Flow's protocol lines on stdout, flushed whenever the writer has caught up;
/// <paramref name="explicitAcknowledgements"/> asks the runtime to acknowledge each checkpoint it commits.
/// </summary>
public sealed class ProtocolCaptureSink(ProtocolOutput output, bool explicitAcknowledgements = false) : ICaptureSink
{
    public void Opened() => output.WriteLine(json =>
    {
        json.WriteStartObject();
        json.WriteStartObject("opened");
        json.WriteBoolean("explicitAcknowledgements", explicitAcknowledgements);
        json.WriteEndObject();
        json.WriteEndObject();
    });

    public void Commit(ReadOnlySpan<byte> capturedLines, int documents, string? stateKey, ReadOnlySpan<byte> statePatch)
    {
        // A span cannot enter the lambda: the patch is small, copy it.
        var patch = statePatch.ToArray();
        output.Write(capturedLines, json => WriteCheckpoint(json, patch), flush: false);
    }

    public void Flush() => output.Flush();

    private static void WriteCheckpoint(Utf8JsonWriter json, byte[] statePatch)
    {
        json.WriteStartObject();
        json.WriteStartObject("checkpoint");
        json.WriteStartObject("state");
        json.WritePropertyName("updated");
        json.WriteRawValue(statePatch, skipInputValidation: true);
        json.WriteBoolean("mergePatch", true);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
