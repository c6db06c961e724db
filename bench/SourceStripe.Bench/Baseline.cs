using System.Diagnostics;
using System.Net.Http.Headers;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>What the minimal HTTP loop fetched.</summary>
public sealed record BaselineResult(TimeSpan Wall, long Objects, long Bytes, int Requests);

/// <summary>
/// The ceiling the connector is compared with: the same list pages (every object of each stream, 100 a page,
/// newest first, <c>starting_after</c> the previous page's last object), fetched by a minimal HttpClient loop with
/// the connector's headers at the connector's concurrency, each body read fully into a buffer and discarded. The
/// page cursors are computed from the simulator's own data, so the loop parses nothing.
/// </summary>
public static class Baseline
{
    public static async Task<BaselineResult> RunAsync(StripeSimulator simulator, string secret, IReadOnlyList<string> streams, int concurrency)
    {
        var urls = new List<(string Url, int Objects)>();
        foreach (var stream in streams)
        {
            var objects = simulator.Account.Objects(stream);
            for (var i = 0; i < objects.Count || i == 0; i += 100)
            {
                var url = $"{Resources.Get(stream).Path}?limit=100" + (i == 0 ? "" : "&starting_after=" + objects[i - 1].Id);
                urls.Add((url, Math.Min(100, objects.Count - i)));
            }
        }

        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan };
        using var http = new HttpClient(handler) { BaseAddress = simulator.BaseUrl, Timeout = TimeSpan.FromMinutes(2) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        http.DefaultRequestHeaders.Add("Stripe-Version", SimulatorOptions.DefaultApiVersion);
        http.DefaultRequestHeaders.Add("Stripe-Account", "acct_simulator");

        var next = -1;
        long bytes = 0, objectsRead = 0;
        var stopwatch = Stopwatch.StartNew();
        var loops = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            var buffer = new byte[1 << 20];
            int index;
            while ((index = Interlocked.Increment(ref next)) < urls.Count)
            {
                using var response = await http.GetAsync(urls[index].Url, HttpCompletionOption.ResponseHeadersRead);
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
                Interlocked.Add(ref objectsRead, urls[index].Objects);
            }
        })).ToList();
        await Task.WhenAll(loops);
        return new BaselineResult(stopwatch.Elapsed, objectsRead, bytes, urls.Count);
    }
}
