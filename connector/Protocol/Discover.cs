using System.Text.Json;
using SourceStripe.Config;
using SourceStripe.Streams;

namespace SourceStripe.Protocol;

/// <summary>The <c>discovered</c> response: one binding per stream, with its generated schema.</summary>
public static class Discover
{
    public static void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartObject("discovered");
        json.WriteStartArray("bindings");
        foreach (var stream in StreamCatalog.All)
        {
            json.WriteStartObject();
            json.WriteString("recommendedName", stream.Name);
            json.WriteStartObject("resourceConfig");
            json.WriteString("stream", stream.Name);
            json.WriteString("syncMode", ResourceConfig.SyncModeName(stream.DefaultSyncMode));
            json.WriteEndObject();
            json.WritePropertyName("documentSchema");
            json.WriteRawValue(stream.DocumentSchema, skipInputValidation: true);
            json.WriteStartArray("key");
            json.WriteStringValue("/id");
            json.WriteEndArray();
            // Not every account can list it (a Connect platform's accounts, Issuing): bound by default, it
            // would fail the capture of every account without.
            json.WriteBoolean("disable", stream.Needs is not null);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
