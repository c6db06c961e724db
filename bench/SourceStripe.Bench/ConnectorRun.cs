using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SourceStripe.Bench;

/// <summary>What one capture run of the binary did, measured when every binding's backfill had finished.</summary>
public sealed record CaptureResult(
    TimeSpan Wall,
    long Documents,
    long DocumentBytes,
    long Checkpoints,
    double PeakRssMb,
    double CpuSeconds,
    IReadOnlyDictionary<string, HashSet<string>> IdsByStream,
    int ExitCode,
    IReadOnlyList<(long Objects, double RssMb)> RssSamples,
    byte[] State)
{
    /// <summary>The resident set size (MB) sampled when the capture had first written <paramref name="share"/> of its documents.</summary>
    public double RssAt(double share)
    {
        var target = share * Documents;
        return RssSamples.FirstOrDefault(s => s.Objects >= target, RssSamples.Count > 0 ? RssSamples[^1] : (0, double.NaN)).RssMb;
    }

    /// <summary>The highest resident set size (MB) sampled in the first <paramref name="elapsed"/> of the run (samples are 100 ms apart).</summary>
    public double PeakRssWithin(TimeSpan elapsed) =>
        RssSamples.Take(Math.Max(1, (int)(elapsed.TotalMilliseconds / 100))).Select(s => s.RssMb).DefaultIfEmpty(double.NaN).Max();

    /// <summary>Distinct objects captured (documents from events can repeat an object).</summary>
    public long Objects => IdsByStream.Values.Sum(ids => (long)ids.Count);
}

/// <summary>Sees one stdout line as it is read (on the reading task, in order).</summary>
public delegate void LineObserver(ReadOnlySpan<byte> line);

/// <summary>
/// Runs the connector binary on an <c>open</c> request exactly as Flow does: the request on stdin, stdin kept open,
/// stdout read line by line (captured documents counted, checkpoints merged into the state) until every binding's
/// <c>pending</c> ranges are empty (or <c>finished</c> says so); then peak RSS and CPU time are read from /proc, <c>afterBackfill</c>
/// (if any) runs while the capture goes on, stdin is closed, and the process must exit 0.
/// </summary>
public static class ConnectorRun
{
    /// <summary>The connector with its three streams redirected, logging warnings only.</summary>
    public static ProcessStartInfo StartInfo(string binary)
    {
        var start = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["LOG_LEVEL"] = "warn";
        // BENCH_CONNECTOR_X=V sets X=V for the connector only (GC settings to compare, say), not for the driver.
        foreach (var (name, value) in start.Environment.Where(e => e.Key.StartsWith("BENCH_CONNECTOR_", StringComparison.Ordinal)).ToList())
        {
            start.Environment[name["BENCH_CONNECTOR_".Length..]] = value;
        }
        return start;
    }

    public static async Task<CaptureResult> RunAsync(string binary, string openRequest, IReadOnlyList<string> streams, TimeSpan timeout, Action? atDone = null,
        LineObserver? observe = null, Func<Task>? afterBackfill = null, Func<bool>? finished = null, Action<int>? started = null)
    {
        var start = StartInfo(binary);
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + binary);
        started?.Invoke(process.Id);
        var stderr = new StringBuilder();
        var stderrTask = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (stderr)
                {
                    if (stderr.Length < 64_000)
                    {
                        stderr.AppendLine(line);
                    }
                }
            }
        });
        await process.StandardInput.WriteLineAsync(openRequest);
        await process.StandardInput.FlushAsync();

        var reader = new TranscriptReader(streams);
        var acknowledgements = new Acknowledgements(process.StandardInput);
        var done = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var stdoutTask = Task.Run(async () =>
        {
            var stream = process.StandardOutput.BaseStream;
            var buffer = new byte[1 << 20];
            var filled = 0;
            while (true)
            {
                if (filled == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }
                var read = await stream.ReadAsync(buffer.AsMemory(filled));
                if (read == 0)
                {
                    break;
                }
                filled += read;
                var consumed = 0;
                int newline;
                while ((newline = buffer.AsSpan(consumed, filled - consumed).IndexOf((byte)'\n')) >= 0)
                {
                    reader.Add(buffer.AsSpan(consumed, newline));
                    acknowledgements.Read(buffer.AsSpan(consumed, newline));
                    observe?.Invoke(buffer.AsSpan(consumed, newline));
                    consumed += newline + 1;
                    if (!done.Task.IsCompleted && (finished?.Invoke() ?? reader.AllBackfilled))
                    {
                        done.TrySetResult(stopwatch.Elapsed);
                    }
                }
                buffer.AsSpan(consumed, filled - consumed).CopyTo(buffer);
                filled -= consumed;
                acknowledgements.Send();
            }
            done.TrySetException(new InvalidOperationException("stdout closed before every binding finished its backfill"));
        });

        // VmRSS every 100 ms with the documents read so far: whether memory grows along the run or plateaus.
        var samples = new List<(long Objects, double RssMb)>();
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                var rss = Status(process.Id, "VmRSS:");
                lock (samples)
                {
                    samples.Add((reader.Documents, rss));
                }
                try
                {
                    await Task.Delay(100, sampling.Token);
                }
                catch (OperationCanceledException)
                {
                }
            }
        });

        TimeSpan wall;
        double rss, cpu;
        try
        {
            wall = await done.Task.WaitAsync(timeout);
            atDone?.Invoke();
            await sampling.CancelAsync();
            await sampler;
            rss = PeakRssMb(process.Id);
            cpu = CpuSeconds(process.Id);
            if (afterBackfill is not null)
            {
                await afterBackfill();
            }
        }
        catch (Exception e)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            await process.WaitForExitAsync();
            throw new InvalidOperationException($"the capture failed ({e.Message}); stderr:\n{Tail(stderr)}", e);
        }
        acknowledgements.Close();
        using (var exit = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await process.WaitForExitAsync(exit.Token);
        }
        await Task.WhenAll(stdoutTask, stderrTask);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"source-stripe exited {process.ExitCode}; stderr:\n{Tail(stderr)}");
        }
        return new CaptureResult(wall, reader.Documents, reader.DocumentBytes, reader.Checkpoints, rss, cpu, reader.Ids, process.ExitCode, samples, reader.StateJson());
    }

    private static string Tail(StringBuilder stderr)
    {
        lock (stderr)
        {
            var text = stderr.ToString();
            return text.Length > 4000 ? text[^4000..] : text;
        }
    }

    /// <summary>VmHWM of /proc/PID/status: the peak resident set size, in MB.</summary>
    public static double PeakRssMb(int pid) => Status(pid, "VmHWM:");

    /// <summary>A kB field of /proc/PID/status, in MB (NaN once the process is gone).</summary>
    private static double Status(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var kb = long.Parse(line[field.Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), CultureInfo.InvariantCulture);
                    return kb / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }
        return double.NaN;
    }

    /// <summary>User + system CPU time of the process so far (from /proc/PID/stat, 100 ticks a second).</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / 100.0;
    }
}

/// <summary>Open requests as the Flow runtime sends them.</summary>
public static class Requests
{
    /// <summary>An open request; <paramref name="maxRequestsPerSecond"/>, when set, is the connector's pace for the key and for each endpoint
    /// (a run without Stripe's limits); null leaves the connector's own pace for the key.</summary>
    public static string Open(Uri baseUrl, string secret, DateTimeOffset startDate, IEnumerable<string> streams, int? maxRequestsPerSecond)
    {
        var advanced = new JsonObject { ["base_url"] = baseUrl.ToString() };
        if (maxRequestsPerSecond is { } rate)
        {
            advanced["max_requests_per_second"] = rate;
            advanced["max_requests_per_second_per_endpoint"] = rate;
        }
        var config = Config(secret, startDate, advanced);
        var bindings = new JsonArray();
        foreach (var stream in streams)
        {
            bindings.Add(new JsonObject
            {
                ["collection"] = new JsonObject { ["name"] = "acmeCo/stripe/" + stream, ["key"] = new JsonArray("/id") },
                // Polls an hour apart: the run ends when the backfill has, long before a poll.
                ["resourceConfig"] = new JsonObject { ["stream"] = stream, ["syncMode"] = "incremental", ["interval"] = "PT1H" },
                ["resourcePath"] = new JsonArray(stream),
                ["stateKey"] = stream,
                ["backfill"] = 0,
            });
        }
        return new JsonObject
        {
            ["open"] = new JsonObject
            {
                ["capture"] = new JsonObject
                {
                    ["name"] = "acmeCo/stripe/source-stripe",
                    ["connectorType"] = "IMAGE",
                    ["config"] = config,
                    ["bindings"] = bindings,
                },
                ["version"] = "bench",
                ["range"] = new JsonObject { ["keyBegin"] = 0, ["keyEnd"] = 4294967295, ["rClockBegin"] = 0, ["rClockEnd"] = 4294967295 },
                ["state"] = new JsonObject(),
            },
        }.ToJsonString();
    }

    public static string Discover(Uri baseUrl, string secret, DateTimeOffset startDate) =>
        new JsonObject
        {
            ["discover"] = new JsonObject
            {
                ["connectorType"] = "IMAGE",
                ["config"] = Config(secret, startDate, new JsonObject { ["base_url"] = baseUrl.ToString() }),
            },
        }.ToJsonString();

    private static JsonObject Config(string secret, DateTimeOffset startDate, JsonObject advanced) => new()
    {
        ["account_id"] = "acct_simulator",
        ["client_secret"] = secret,
        ["start_date"] = startDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        ["lookback_window_days"] = 0,
        ["advanced"] = advanced,
    };
}
