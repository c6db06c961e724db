using System.Text.Encodings.Web;
using System.Text.Json;

namespace SourceStripe.Simulator;

/// <summary>How the simulator writes JSON: raw UTF-8 like Stripe (no \u escapes for "ü").</summary>
internal static class JsonOutput
{
    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] ToUtf8(System.Text.Json.Nodes.JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(4096);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            node.WriteTo(w);
        }
        return buffer.WrittenSpan.ToArray();
    }
}
