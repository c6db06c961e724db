using System.Text.Json;
using SourceStripe.Config;
using SourceStripe.Streams;

namespace SourceStripe.Protocol;

/// <summary>The <c>spec</c> response: what Flow's UI shows and validates before any request reaches us.</summary>
public static class Spec
{
    public const int ProtocolVersion = 3032023;

    public const string DocumentationUrl = "https://docs.estuary.dev/reference/Connectors/capture-connectors/stripe/";

    /// <summary>The endpoint configuration's JSON Schema. Every field here is read by <see cref="EndpointConfig.Parse"/>.</summary>
    public static ReadOnlySpan<byte> ConfigSchema => """
        {
          "$schema": "https://json-schema.org/draft/2020-12/schema",
          "title": "Stripe",
          "type": "object",
          "required": ["account_id", "client_secret", "start_date"],
          "properties": {
            "account_id": {
              "type": "string",
              "title": "Account ID",
              "description": "Your Stripe account ID (starts with acct_), from Settings > Business > Account details in the Stripe Dashboard. Sent as the Stripe-Account header, so a Connect platform can capture one of its connected accounts; with Capture Connected Accounts, the platform's own ID.",
              "pattern": "^\\S+$",
              "order": 0
            },
            "client_secret": {
              "type": "string",
              "title": "Secret Key",
              "description": "A Stripe secret key (sk_live_… or sk_test_…) or a restricted key (rk_live_… or rk_test_…) with Read access to every resource you bind, from Developers > API keys. It is only ever sent to Stripe.",
              "secret": true,
              "airbyte_secret": true,
              "order": 1
            },
            "start_date": {
              "type": "string",
              "format": "date-time",
              "title": "Start Date",
              "description": "UTC date and time in RFC 3339 format, such as 2017-01-25T00:00:00Z, from 1970 on and not in the future. Objects created before it are not captured.",
              "order": 2
            },
            "lookback_window_days": {
              "type": "integer",
              "minimum": 0,
              "maximum": 3650,
              "default": 0,
              "title": "Lookback Window (days)",
              "description": "How many days before the last cursor each incremental poll re-reads, so that objects changed shortly after creation are captured again with their new content. 0 reads only new objects.",
              "order": 3
            },
            "capture_connected_accounts": {
              "type": "boolean",
              "default": false,
              "title": "Capture Connected Accounts",
              "description": "For a Stripe Connect platform: capture every connected account as well as the platform account_id, each request made for its account with the Stripe-Account header, and each document naming its account in account_id. Accounts that connect later are captured from start_date; one that disconnects is skipped with a warning. A capture with several shards divides the accounts among them.",
              "order": 4
            },
            "webhook_signing_secret": {
              "type": "string",
              "title": "Webhook Signing Secret",
              "description": "Optional: lets Stripe push each change to the capture within a second instead of waiting for the next events poll (polling goes on as the safety net). With it set, the capture listens on its public port 8080 and accepts only deliveries signed with this secret. To get one, create a Stripe event destination for the task's public URL (Flow shows it for port 8080): in the Stripe Dashboard, Developers > Webhooks > Add destination (Workbench > Event destinations), of type Webhook endpoint, sending all events or the events of the streams you bind; a Connect platform capturing its connected accounts picks 'Connected accounts' and adds a second destination, for 'Your account', with the same URL, and gives both secrets here. Or with the API: POST /v1/webhook_endpoints with url set to the public URL, enabled_events[]=* and, for connected accounts, connect=true. Paste the destination's signing secret (whsec_…); while rotating it, or with two destinations, give the secrets separated by commas.",
              "secret": true,
              "airbyte_secret": true,
              "order": 5
            },
            "advanced": {
              "type": "object",
              "title": "Advanced",
              "description": "Options most captures leave alone.",
              "advanced": true,
              "order": 6,
              "properties": {
                "base_url": {
                  "type": "string",
                  "format": "uri",
                  "default": "https://api.stripe.com",
                  "title": "Base URL",
                  "description": "The Stripe API's address. Change it only for a proxy or a test server; plain http is accepted only for a loopback address."
                },
                "event_lag_seconds": {
                  "type": "integer",
                  "minimum": 0,
                  "maximum": 3600,
                  "default": 60,
                  "title": "Event Lag (seconds)",
                  "description": "Stripe events are read only up to this many seconds before now, because Stripe can list an event a little after later ones. Changes therefore arrive at least this late."
                },
                "list_lag_seconds": {
                  "type": "integer",
                  "minimum": 0,
                  "maximum": 3600,
                  "default": 30,
                  "title": "List Lag (seconds)",
                  "description": "Incremental polls and full-refresh passes read objects created only up to this many seconds before now, because Stripe can list an object a little after it was created; a later poll reads what came after."
                },
                "request_timeout_seconds": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 600,
                  "default": 60,
                  "title": "Request Timeout (seconds)",
                  "description": "How long one attempt of a request may take before it is abandoned and tried again."
                },
                "max_retry_seconds": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 86400,
                  "default": 600,
                  "title": "Maximum Retry Time (seconds)",
                  "description": "How long a request that keeps failing transiently (connection errors, timeouts, 429, 5xx) is retried before the capture stops with an error."
                },
                "max_requests_per_second": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000,
                  "title": "Maximum Requests per Second",
                  "description": "The request rate the connector paces itself to over all endpoints. Defaults to Stripe's limit for the key: 100 for live keys, 25 for test keys. Lower it to leave room for other integrations on the same account; raise it only when Stripe has raised your account's limit."
                },
                "max_requests_per_second_per_endpoint": {
                  "type": "integer",
                  "minimum": 1,
                  "maximum": 10000,
                  "default": 25,
                  "title": "Maximum Requests per Second per Endpoint",
                  "description": "The rate the connector paces each Stripe endpoint to (one operation, such as listing charges or retrieving a charge, for one account), within the rate above. Defaults to Stripe's per-endpoint limit, 25 (the Files API: 20). Raise it only when Stripe has raised your account's per-endpoint limit."
                },
                "webhook_address": {
                  "type": "string",
                  "default": "0.0.0.0:8080",
                  "title": "Webhook Address",
                  "description": "The IP address and port the listener for Stripe's webhooks binds when a Webhook Signing Secret is set, such as 0.0.0.0:8080 or [::]:8080. Flow routes the task's public URL to port 8080, so change it only to run the connector elsewhere."
                },
                "events_interval_with_webhooks": {
                  "type": "string",
                  "default": "PT15M",
                  "title": "Events Interval with Webhooks",
                  "description": "With a webhook signing secret: how often each account's events are still polled while webhooks arrive, as the safety net, as an ISO 8601 duration. Once no webhook has arrived for this long, events are polled at the bindings' own interval again."
                },
                "event_payloads": {
                  "type": "string",
                  "enum": ["auto", "refetch"],
                  "default": "auto",
                  "title": "Event Payloads",
                  "description": "auto: take a changed object from its event when the event was rendered in the connector's pinned API version, else read it again at that version. refetch: always read changed objects again (one request each), so documents hold their current state."
                }
              }
            }
          }
        }
        """u8;

    public static void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteStartObject("spec");
        json.WriteNumber("protocol", ProtocolVersion);
        json.WritePropertyName("configSchema");
        // Re-written compactly: a protocol message must stay on one line.
        using (var schema = JsonDocument.Parse(ConfigSchema.ToArray()))
        {
            schema.WriteTo(json);
        }
        json.WritePropertyName("resourceConfigSchema");
        WriteResourceConfigSchema(json);
        json.WriteString("documentationUrl", DocumentationUrl);
        json.WriteStartArray("resourcePathPointers");
        json.WriteStringValue("/stream");
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteResourceConfigSchema(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteString("$schema", "https://json-schema.org/draft/2020-12/schema");
        json.WriteString("title", "Stripe stream");
        json.WriteString("type", "object");
        json.WriteStartArray("required");
        json.WriteStringValue("stream");
        json.WriteStringValue("syncMode");
        json.WriteEndArray();
        json.WriteStartObject("properties");

        WriteEnum(json, "stream", "Stream", "The Stripe resource to capture.", StreamCatalog.All.Select(s => s.Name));
        WriteEnum(json, "syncMode", "Sync Mode",
            "incremental: backfill, then capture new objects and changes as they happen. full_refresh: read every object again on each pass.",
            [ResourceConfig.SyncModeName(SyncMode.Incremental), ResourceConfig.SyncModeName(SyncMode.FullRefresh)]);

        json.WriteStartObject("interval");
        json.WriteString("type", "string");
        json.WriteString("format", "duration");
        json.WriteString("title", "Interval");
        json.WriteString("description", $"How often to poll for new objects (incremental, default {IsoDuration.Format(ResourceConfig.DefaultIncrementalInterval)}) or start a new pass (full_refresh, default {IsoDuration.Format(ResourceConfig.DefaultFullRefreshInterval)}), as an ISO 8601 duration such as PT5M.");
        json.WriteEndObject();

        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteEnum(Utf8JsonWriter json, string name, string title, string description, IEnumerable<string> values)
    {
        json.WriteStartObject(name);
        json.WriteString("type", "string");
        json.WriteString("title", title);
        json.WriteString("description", description);
        json.WriteStartArray("enum");
        foreach (var value in values)
        {
            json.WriteStringValue(value);
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
