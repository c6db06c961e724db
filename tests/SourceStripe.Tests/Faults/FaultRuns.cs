using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Tests.EndToEnd;

namespace SourceStripe.Tests.Faults;

/// <summary>Requests, runs and stream checks shared by the bad-input, secret and stdout-discipline tests.</summary>
internal static class FaultRequests
{
    public const string StartDate = "2020-01-01T00:00:00Z";

    /// <summary>A valid endpoint config; <paramref name="baseUrl"/> null leaves the default (https://api.stripe.com).</summary>
    public static JsonObject Endpoint(string secret = "sk_test_simulator", Uri? baseUrl = null, Action<JsonObject>? edit = null)
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

/// <summary>The published binary as a long-running process: stdin stays open until the test closes it; output is kept as raw bytes.</summary>
internal sealed class ConnectorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Task _readOut;
    private readonly Task _readErr;

    private ConnectorProcess(Process process)
    {
        _process = process;
        _readOut = Pump(process.StandardOutput.BaseStream, _stdout);
        _readErr = Pump(process.StandardError.BaseStream, _stderr);
    }

    public static async Task<ConnectorProcess> StartAsync(byte[] stdin, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null)
    {
        var connector = new ConnectorProcess(Process.Start(await PublishedConnector.StartInfoAsync(args, environment))!);
        try
        {
            await connector._process.StandardInput.BaseStream.WriteAsync(stdin);
            await connector._process.StandardInput.BaseStream.FlushAsync();
        }
        catch (IOException)
        {
            // The connector may exit (and close stdin) before reading everything: its output says why.
        }
        return connector;
    }

    public static Task<ConnectorProcess> StartAsync(string line, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null) =>
        StartAsync(Encoding.UTF8.GetBytes(line + "\n"), args, environment);

    /// <summary>Runs a whole request: writes <paramref name="stdin"/>, closes stdin, waits for the exit.</summary>
    public static async Task<ConnectorRun> RunAsync(byte[] stdin, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        await using var connector = await StartAsync(stdin, args, environment);
        connector.CloseStdin();
        var exit = await connector.WaitForExitAsync(timeout ?? TimeSpan.FromSeconds(60));
        return new ConnectorRun(exit, connector.StdoutBytes, connector.Stderr);
    }

    public byte[] StdoutBytes
    {
        get { lock (_stdout) { return _stdout.ToArray(); } }
    }

    public byte[] StderrBytes
    {
        get { lock (_stderr) { return _stderr.ToArray(); } }
    }

    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string Stderr => Encoding.UTF8.GetString(StderrBytes);

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until stdout satisfies <paramref name="condition"/>; fails if the process ends first.</summary>
    public async Task WaitForStdoutAsync(Func<string, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition(Stdout))
        {
            if (_process.HasExited && _readOut.IsCompleted)
            {
                Assert.Fail($"source-stripe exited ({_process.ExitCode}) early:\n{StreamChecks.Shorten(Stderr)}");
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the capture's output:\n" + StreamChecks.Shorten(Stderr));
            await Task.Delay(20);
        }
    }

    public void CloseStdin()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>SIGKILL: no chance to flush or say goodbye.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Waits for the exit and for all output; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"source-stripe did not exit within {timeout.TotalSeconds} s; stderr so far:\n{StreamChecks.Shorten(Stderr)}");
        }
        await Task.WhenAll(_readOut, _readErr);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        await Task.WhenAll(_readOut, _readErr);
        _process.Dispose();
    }

    private static async Task Pump(Stream from, MemoryStream to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            lock (to)
            {
                to.Write(buffer, 0, read);
            }
        }
    }
}

/// <summary>
/// A TCP listener on 127.0.0.1 that counts connections. As the HTTP(S) proxy of a run, it sees every request
/// the connector tries to send to Stripe, so a run that fails on its config can be shown to send nothing.
/// </summary>
internal sealed class Tripwire : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public Tripwire()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Connections => Volatile.Read(ref _connections);

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The environment that sends every request for a non-loopback host through the tripwire.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["HTTPS_PROXY"] = Url,
        ["https_proxy"] = Url,
        ["HTTP_PROXY"] = Url,
        ["http_proxy"] = Url,
        ["ALL_PROXY"] = Url,
        ["all_proxy"] = Url,
        ["NO_PROXY"] = "",
        ["no_proxy"] = "",
    };

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}

/// <summary>
/// An HTTP server on 127.0.0.1 that answers every request 200 with the same body (such as <c>[]</c>): a
/// "Stripe" whose list responses are never lists.
/// </summary>
internal sealed class FixedBodyServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _body;
    private int _requests;

    public FixedBodyServer(string body)
    {
        _body = Encoding.UTF8.GetBytes(body);
        _listener.Start();
        _ = AcceptAsync();
    }

    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[16 * 1024];
                var pending = new List<byte>();
                while (true)
                {
                    // One request per header block (GETs carry no body); keep-alive connections send several.
                    int end;
                    while ((end = HeaderEnd(pending)) < 0)
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }
                        pending.AddRange(buffer.AsSpan(0, read));
                    }
                    pending.RemoveRange(0, end + 4);
                    Interlocked.Increment(ref _requests);
                    var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {_body.Length}\r\nDate: {DateTimeOffset.UtcNow:R}\r\nRequest-Id: req_fixed\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                    await stream.WriteAsync(_body, _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private static int HeaderEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
