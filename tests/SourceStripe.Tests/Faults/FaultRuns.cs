using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SourceStripe.Tests.Faults;

/// <summary>Requests, runs and stream checks shared by the bad-input, secret and stdout-discipline tests.</summary>
internal static class FaultRequests
{
    public const string StartDate = "2020-01-01T00:00:00Z";

    /// <summary>A valid endpoint config; <paramref name="baseUrl"/> null leaves the default (https://api.stripe.com).</summary>
    public static JsonObject Endpoint(string secret = "sk_live_simulator", Uri? baseUrl = null, Action<JsonObject>? edit = null)
    {
        var config = new JsonObject
        {
            ["account_id"] = "acct_simulator",
            ["client_secret"] = secret,
            ["start_date"] = StartDate,
            ["lookback_window_days"] = 0,
        };
        if (baseUrl is not null)
        {
            config["advanced"] = new JsonObject { ["base_url"] = baseUrl.ToString() };
        }
        edit?.Invoke(config);
        return config;
    }

    public static JsonObject Resource(string stream, string? syncMode = "incremental", string? interval = null)
    {
        var resource = new JsonObject { ["stream"] = stream };
        if (syncMode is not null)
        {
            resource["syncMode"] = syncMode;
        }
        if (interval is not null)
        {
            resource["interval"] = interval;
        }
        return resource;
    }

    public static string Spec(JsonNode? config = null) =>
        new JsonObject { ["spec"] = new JsonObject { ["connectorType"] = "IMAGE", ["config"] = config ?? new JsonObject() } }.ToJsonString();

    public static string Discover(JsonNode? config) =>
        new JsonObject { ["discover"] = new JsonObject { ["connectorType"] = "IMAGE", ["config"] = config } }.ToJsonString();

    public static string Validate(JsonNode? config, params JsonNode?[] resources)
    {
        var bindings = new JsonArray();
        foreach (var resource in resources)
        {
            bindings.Add(new JsonObject
            {
                ["resourceConfig"] = resource,
                ["collection"] = new JsonObject { ["name"] = "acmeCo/stripe/x", ["key"] = new JsonArray("/id") },
                ["backfill"] = 0,
            });
        }
        return new JsonObject
        {
            ["validate"] = new JsonObject
            {
                ["name"] = "acmeCo/source-stripe",
                ["connectorType"] = "IMAGE",
                ["config"] = config,
                ["bindings"] = bindings,
            },
        }.ToJsonString();
    }

    public static JsonObject Capture(JsonNode? config, params JsonNode?[] resources)
    {
        var bindings = new JsonArray();
        foreach (var resource in resources)
        {
            var stream = resource is JsonObject o && o["stream"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : "x";
            bindings.Add(new JsonObject
            {
                ["collection"] = new JsonObject { ["name"] = "acmeCo/stripe/" + stream, ["key"] = new JsonArray("/id") },
                ["resourceConfig"] = resource,
                ["resourcePath"] = new JsonArray(stream),
                ["stateKey"] = stream,
                ["backfill"] = 0,
            });
        }
        return new JsonObject
        {
            ["name"] = "acmeCo/stripe/source-stripe",
            ["connectorType"] = "IMAGE",
            ["config"] = config,
            ["intervalSeconds"] = 300,
            ["bindings"] = bindings,
        };
    }

    public static string Apply(JsonNode? config, params JsonNode?[] resources) =>
        new JsonObject { ["apply"] = new JsonObject { ["capture"] = Capture(config, resources), ["version"] = "v1" } }.ToJsonString();

    /// <summary>An open request; <paramref name="capture"/> null sends none.</summary>
    public static string Open(JsonObject? capture, JsonNode? state)
    {
        var open = new JsonObject
        {
            ["version"] = "v1",
            ["range"] = new JsonObject { ["keyBegin"] = 0, ["keyEnd"] = 4294967295, ["rClockBegin"] = 0, ["rClockEnd"] = 4294967295 },
            ["state"] = state,
        };
        if (capture is not null)
        {
            open["capture"] = capture;
        }
        return new JsonObject { ["open"] = open }.ToJsonString();
    }

    public static string Open(JsonNode? config, JsonNode? state, params JsonNode?[] resources) => Open(Capture(config, resources), state);
}

/// <summary>Checks on what the binary wrote.</summary>
internal static class StreamChecks
{
    private static readonly HashSet<string> ProtocolMessages = ["spec", "discovered", "validated", "applied", "opened", "captured", "checkpoint"];

    private static readonly HashSet<string> Levels = ["trace", "debug", "info", "warn", "error"];

    /// <summary>Every complete stdout line is one protocol message; with <paramref name="cutAtTheEnd"/> the last may be a cut line.</summary>
    public static List<JsonObject> AssertProtocolOnly(byte[] stdout, bool cutAtTheEnd = false)
    {
        var text = Encoding.UTF8.GetString(stdout);
        var lines = text.Split('\n').ToList();
        // The text after the last newline: empty when stdout ends with a complete line.
        var tail = lines[^1];
        lines.RemoveAt(lines.Count - 1);
        if (!cutAtTheEnd)
        {
            Assert.True(tail.Length == 0, $"stdout ends with an incomplete line: {Shorten(tail)}");
        }
        var messages = new List<JsonObject>();
        foreach (var line in lines)
        {
            messages.Add(AssertProtocolLine(line));
        }
        if (cutAtTheEnd && tail.Length > 0)
        {
            // A write cut by SIGKILL: the start of a protocol line, never anything else.
            Assert.StartsWith("{\"", tail);
        }
        return messages;
    }

    public static JsonObject AssertProtocolLine(string line)
    {
        JsonObject message;
        try
        {
            message = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException e)
        {
            Assert.Fail($"stdout line is not a JSON object ({e.Message}): {Shorten(line)}");
            throw;
        }
        Assert.True(message.Count == 1, $"stdout line has {message.Count} top-level members: {Shorten(line)}");
        var (name, body) = message.First();
        Assert.True(ProtocolMessages.Contains(name), $"stdout line is not a protocol message: {Shorten(line)}");
        Assert.True(body is JsonObject, $"{name} is not an object: {Shorten(line)}");
        if (name == "captured")
        {
            Assert.True(body!["binding"] is JsonValue binding && binding.GetValueKind() == JsonValueKind.Number && binding.TryGetValue<int>(out _),
                $"captured.binding is not an integer: {Shorten(line)}");
            Assert.True(body["doc"] is JsonObject, $"captured.doc is not an object: {Shorten(line)}");
        }
        return message;
    }

    /// <summary>
    /// Every stderr line is a Flow JSON log line (ts, level, msg). A debug line may carry an exception's
    /// detail in a field for a maintainer; no line may be a raw stack trace.
    /// </summary>
    public static List<JsonObject> AssertLogLines(string stderr)
    {
        var logs = new List<JsonObject>();
        foreach (var line in stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            JsonObject log;
            try
            {
                log = JsonNode.Parse(line) as JsonObject ?? throw new JsonException("not an object");
            }
            catch (JsonException e)
            {
                Assert.Fail($"stderr line is not a JSON log line ({e.Message}): {Shorten(line)}");
                throw;
            }
            Assert.True(log["ts"] is JsonValue ts && DateTimeOffset.TryParse(ts.GetValue<string>(), out _), $"log line without ts: {Shorten(line)}");
            Assert.True(log["level"] is JsonValue level && Levels.Contains(level.GetValue<string>()), $"log line without a level: {Shorten(line)}");
            Assert.True(log["msg"] is JsonValue msg && msg.GetValueKind() == JsonValueKind.String, $"log line without msg: {Shorten(line)}");
            logs.Add(log);
        }
        return logs;
    }

    /// <summary>A .NET stack trace frame or exception dump, raw or inside a log message.</summary>
    public static void AssertNotStackTrace(string line)
    {
        Assert.False(line.StartsWith("   at ", StringComparison.Ordinal) || line.Contains("\\n   at ", StringComparison.Ordinal) || line.Contains("\n   at ", StringComparison.Ordinal),
            $"stderr carries a stack trace: {Shorten(line)}");
        Assert.False(line.StartsWith("Unhandled exception", StringComparison.Ordinal) || line.Contains("--- End of", StringComparison.Ordinal),
            $"stderr carries an exception dump: {Shorten(line)}");
    }

    /// <summary>The final error line: level error, no exception type, and short enough to read.</summary>
    public static string AssertFinalError(string stderr)
    {
        var logs = AssertLogLines(stderr);
        Assert.NotEmpty(logs);
        var last = logs[^1];
        AssertNotStackTrace(stderr.TrimEnd('\n').Split('\n')[^1]);
        Assert.Equal("error", last["level"]!.GetValue<string>());
        var msg = last["msg"]!.GetValue<string>();
        Assert.DoesNotContain("Exception:", msg);
        Assert.DoesNotContain("Exception)", msg);
        Assert.True(msg.Length <= 2000, $"the error is {msg.Length} characters long: {Shorten(msg)}");
        return msg;
    }

    public static string Shorten(string text) => text.Length <= 500 ? text : text[..500] + $"… ({text.Length} characters)";
}
