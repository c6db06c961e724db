using System.Text.Json.Nodes;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Capture;

/// <summary>Builds <c>open</c> requests as the Flow runtime sends them.</summary>
public static class OpenRequests
{
    public sealed record Binding(string Stream, string? SyncMode = null, string? Interval = null, long Backfill = 0, string? StateKey = null);

    /// <summary>An open request; <c>connected</c> sets capture_connected_accounts, <c>range</c> the shard's keyBegin and keyEnd (full when null).</summary>
    public static string Open(Uri baseUrl, string secret, DateTimeOffset startDate, IEnumerable<Binding> bindings, JsonNode? state = null, int lookbackDays = 0, string account = "acct_simulator", JsonObject? advanced = null,
        bool connected = false, (uint Begin, uint End)? range = null)
    {
        var config = new JsonObject
        {
            ["account_id"] = account,
            ["client_secret"] = secret,
            ["start_date"] = startDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"),
            ["lookback_window_days"] = lookbackDays,
            // The connector paces itself as it would against Stripe, and the simulator enforces Stripe's limits.
            ["advanced"] = new JsonObject { ["base_url"] = baseUrl.ToString() },
        };
        if (connected)
        {
            config["capture_connected_accounts"] = true;
        }
        foreach (var (name, value) in advanced ?? [])
        {
            config["advanced"]![name] = value?.DeepClone();
        }
        var bindingArray = new JsonArray();
        foreach (var b in bindings)
        {
            var resource = new JsonObject { ["stream"] = b.Stream, ["syncMode"] = b.SyncMode ?? DefaultMode(b.Stream) };
            if (b.Interval is not null)
            {
                resource["interval"] = b.Interval;
            }
            bindingArray.Add(new JsonObject
            {
                ["collection"] = new JsonObject { ["name"] = "acmeCo/stripe/" + b.Stream, ["key"] = new JsonArray("/id") },
                ["resourceConfig"] = resource,
                ["resourcePath"] = new JsonArray(b.Stream),
                ["stateKey"] = b.StateKey ?? b.Stream,
                ["backfill"] = b.Backfill,
            });
        }
        var open = new JsonObject
        {
            ["open"] = new JsonObject
            {
                ["capture"] = new JsonObject
                {
                    ["name"] = "acmeCo/stripe/source-stripe",
                    ["connectorType"] = "IMAGE",
                    ["config"] = config,
                    ["bindings"] = bindingArray,
                },
                ["version"] = "test",
                ["range"] = new JsonObject { ["keyBegin"] = range?.Begin ?? 0, ["keyEnd"] = range?.End ?? uint.MaxValue, ["rClockBegin"] = 0, ["rClockEnd"] = 4294967295 },
                ["state"] = state?.DeepClone() ?? new JsonObject(),
            },
        };
        return open.ToJsonString();
    }

    public static IEnumerable<Binding> AllStreams(string? interval = null) =>
        StreamCatalog.All.Select(s => new Binding(s.Name, Interval: interval));

    private static string DefaultMode(string stream) =>
        StreamCatalog.Find(stream)!.DefaultSyncMode == SyncMode.Incremental ? "incremental" : "full_refresh";
}
