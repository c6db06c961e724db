using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Config;
using SourceStripe.Streams;

namespace SourceStripe.Protocol;

/// <summary>The <c>discovered</c> response: one binding per stream, with its generated schema.</summary>
public static class Discover
{
    public static void Write(Utf8JsonWriter json, EndpointConfig config)
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
            if (config.CaptureConnectedAccounts)
            {
                WithAccountField(stream.DocumentSchema).WriteTo(json);
            }
            else
            {
                json.WriteRawValue(stream.DocumentSchema, skipInputValidation: true);
            }
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

    /// <summary>A stream's schema that also requires <see cref="StreamCatalog.AccountField"/>: every document of a capture of connected accounts names its account.</summary>
    public static JsonObject WithAccountField(ReadOnlySpan<byte> schema)
    {
        var root = JsonNode.Parse(schema)!.AsObject();
        if (root["properties"] is not JsonObject properties)
        {
            root["properties"] = properties = [];
        }
        // The children of Connect's accounts name their account there already, as their parent's id.
        properties[StreamCatalog.AccountField] ??= new JsonObject
        {
            ["type"] = "string",
            ["description"] = "The Stripe account the object belongs to: the platform or one of its connected accounts (added by the connector).",
        };
        if (root["required"] is not JsonArray required)
        {
            root["required"] = required = [];
        }
        if (!required.Any(r => r?.GetValue<string>() == StreamCatalog.AccountField))
        {
            required.Add((JsonNode)StreamCatalog.AccountField);
        }
        return root;
    }
}
