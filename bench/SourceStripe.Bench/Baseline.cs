using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>What the minimal HTTP loop fetched, and the CPU its process spent doing it (its start-up and warm-up excluded).</summary>
public sealed record BaselineResult(TimeSpan Wall, long Objects, long Bytes, int Requests, double CpuSeconds);

/// <summary>
/// The ceiling the connector is compared with: the same list pages (every object of each stream, 100 a page,
/// newest first, <c>starting_after</c> the previous page's last object), fetched by a minimal HttpClient loop with
/// the connector's headers and <c>Accept-Encoding: gzip</c> at the connector's concurrency, each body decompressed
/// into a buffer and discarded. The page cursors come from the simulator's own data, so the loop parses nothing.
/// It runs in a process of its own (this driver, started with <c>--baseline</c>), so its CPU time is its own.
/// </summary>
public static class Baseline
{
    /// <summary>Pages fetched first and not counted: the JIT compiles the loop while they are read.</summary>
    private const int WarmUpPages = 20;

    public static async Task<BaselineResult> RunAsync(string driver, StripeSimulator simulator, string secret, IReadOnlyList<string> streams, int concurrency)
    {
        var urls = Path.GetTempFileName();
        try
        {
            await File.WriteAllLinesAsync(urls, streams.SelectMany(stream => Pages(simulator, stream)).Select(p => $"{p.Objects} {p.Url}"));
            var start = new ProcessStartInfo(driver)
            {
                ArgumentList = { "--baseline", simulator.BaseUrl.ToString(), urls, concurrency.ToString(CultureInfo.InvariantCulture) },
                RedirectStandardOutput = true,
                RedirectStandardInput = true,
                UseShellExecute = false,
                // Every method compiled fully optimized at once: with tiered compilation the JIT recompiles the
                // loop's hot methods on a thread of its own while the CPU is counted, which moved the loop's
                // figure between 1.3 and 2.3 ms per MB from one run to the next.
                Environment = { ["DOTNET_TieredCompilation"] = "0" },
            };
            using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + driver);
            // The key goes on stdin, never on a command line.
            await process.StandardInput.WriteLineAsync(secret);
            process.StandardInput.Close();
            var output = await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"the baseline loop exited {process.ExitCode}: {output}");
            }
            var figures = output.Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries).Select(f => f.Split('=')).ToDictionary(f => f[0], f => double.Parse(f[1], CultureInfo.InvariantCulture));
            return new BaselineResult(TimeSpan.FromSeconds(figures["wall_s"]), (long)figures["objects"], (long)figures["bytes"], (int)figures["requests"], figures["cpu_s"]);
        }
        finally
        {
            File.Delete(urls);
        }
    }

    private static IEnumerable<(string Url, int Objects)> Pages(StripeSimulator simulator, string stream)
    {
        var objects = simulator.Account.Objects(stream);
        for (var i = 0; i < objects.Count || i == 0; i += 100)
        {
            yield return ($"{Resources.Get(stream).Path}?limit=100" + (i == 0 ? "" : "&starting_after=" + objects[i - 1].Id), Math.Min(100, objects.Count - i));
        }
    }

    /// <summary>The child process: <c>--baseline BASE_URL URLS_FILE CONCURRENCY</c>, the key on stdin; prints its figures.</summary>
    public static async Task<int> LoopAsync(string[] args)
    {
        var baseUrl = new Uri(args[1]);
        var pages = File.ReadAllLines(args[2]).Select(line => line.Split(' ', 2)).Select(p => (Url: p[1], Objects: int.Parse(p[0], CultureInfo.InvariantCulture))).ToList();
        var concurrency = int.Parse(args[3], CultureInfo.InvariantCulture);
        var secret = Console.ReadLine() ?? throw new InvalidOperationException("the key is expected on stdin");

        using var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = concurrency,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            AutomaticDecompression = DecompressionMethods.GZip,
        };
        using var http = new HttpClient(handler) { BaseAddress = baseUrl, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        http.DefaultRequestHeaders.Add("Stripe-Version", SimulatorOptions.DefaultApiVersion);
        http.DefaultRequestHeaders.Add("Stripe-Account", "acct_simulator");

        var warmUp = Math.Min(WarmUpPages, pages.Count / 5);
        await FetchAsync(http, pages.Take(warmUp).ToList(), concurrency);
        var counted = pages.Skip(warmUp).ToList();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var stopwatch = Stopwatch.StartNew();
        var bytes = await FetchAsync(http, counted, concurrency);
        var wall = stopwatch.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        Console.WriteLine(FormattableString.Invariant(
            $"wall_s={wall.TotalSeconds:F3} cpu_s={cpu.TotalSeconds:F3} bytes={bytes} objects={counted.Sum(p => p.Objects)} requests={counted.Count}"));
        return 0;
    }

    private static async Task<long> FetchAsync(HttpClient http, IReadOnlyList<(string Url, int Objects)> pages, int concurrency)
    {
        var next = -1;
        long bytes = 0;
        var loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[1 << 20];
            int index;
            while ((index = Interlocked.Increment(ref next)) < pages.Count)
            {
                using var response = await http.GetAsync(pages[index].Url, HttpCompletionOption.ResponseHeadersRead);
                response.EnsureSuccessStatusCode();
                await using var body = await response.Content.ReadAsStreamAsync();
                var length = 0;
                int read;
                while ((read = await body.ReadAsync(buffer.AsMemory(length))) > 0)
                {
                    length += read;
                    if (length == buffer.Length)
                    {
                        Array.Resize(ref buffer, buffer.Length * 2);
                    }
                }
                Interlocked.Add(ref bytes, length);
            }
        })).ToList();
        await Task.WhenAll(loops);
        return bytes;
    }
}
