using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>
/// (h) A platform of 100,000 connected accounts of a few objects each plus 10 large ones, on one shard, at 250 ms latency
/// under Stripe's two limits: how soon the first document comes, how long until every account is caught up beside the
/// floor (the requests it took ÷ the key's 100 a second), how busy the key was kept, 429s, peak RSS, the state's size,
/// how fast a capture opens on that state, and how often each account's events are read once all are caught up.
/// <c>BENCH_H_ACCOUNTS</c> sets the number of accounts (the full run's default is 100,000).
/// </summary>
public static class PlatformScenario
{
    private const int KeyLimit = 100;
    private const int Large = 10;
    private static readonly string[] Streams = ["charges", "customers"];

    public static async Task<long> RunAsync(string native, string secret, bool smoke, TableRow row, Func<bool, string> check, List<(string Key, string Value)> figures)
    {
        var count = Environment.GetEnvironmentVariable("BENCH_H_ACCOUNTS") is { Length: > 0 } given
            ? int.Parse(given, CultureInfo.InvariantCulture)
            : smoke ? 300 : 100_000;
        var each = 2;
        var largeCharges = smoke ? 300 : 5_000;
        await using var simulator = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 17,
            SecretKey = secret,
            ObjectsPerStream = 5,
            ConnectedAccountPopulation = new ConnectedAccountPopulation
            {
                Count = count,
                Each = new ConnectedAccountOptions { ObjectsPerStream = 0, ObjectCounts = Streams.ToDictionary(s => s, _ => each) },
                Large = [.. Enumerable.Range(0, Large).Select(_ => new ConnectedAccountOptions
                {
                    ObjectsPerStream = 0,
                    ObjectCounts = new Dictionary<string, int> { ["charges"] = largeCharges, ["customers"] = largeCharges / 10 },
                })],
            },
        });
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        simulator.RateLimits = RateLimits.Stripe;
        var latency = TimeSpan.FromMilliseconds(smoke ? 20 : 250);
        simulator.Latency = latency;

        var accounts = new List<string> { "acct_simulator" };
        accounts.AddRange(simulator.ConnectedAccountIds);
        var progress = new AccountProgress(accounts, Streams);
        var clock = Stopwatch.StartNew();
        TimeSpan? firstDocument = null;
        var open = JsonNode.Parse(Requests.Open(simulator.BaseUrl, secret, DateTimeOffset.UtcNow.AddDays(-800), Streams, null))!;
        open["open"]!["capture"]!["config"]!["capture_connected_accounts"] = true;
        IReadOnlyList<RecordedRequest> requests = [];
        var run = await ConnectorRun.RunAsync(native, open.ToJsonString(), Streams, TimeSpan.FromMinutes(smoke ? 3 : 90), () => requests = simulator.Requests,
            line =>
            {
                if (firstDocument is null && line.StartsWith("{\"captured\""u8))
                {
                    firstDocument = clock.Elapsed;
                }
                progress.Observe(line);
            },
            finished: () => progress.AllCaughtUp);

        var expected = Streams.ToDictionary(s => s, s => (long)simulator.Account.Objects(s).Count + ((long)(count - Large) * each)
            + (Large * (long)(s == "charges" ? largeCharges : largeCharges / 10)));
        var lost = Streams.Sum(s => Math.Max(0, expected[s] - run.IdsByStream[s].Count));
        var accepted = requests.Count(r => r.Status < 400);
        var floor = (double)accepted / KeyLimit;
        var caughtUp = progress.CaughtUp.Values.DefaultIfEmpty(TimeSpan.Zero).Max().TotalSeconds;
        var seconds = RequestRates.AgainstCeiling(requests, KeyLimit, 25, RequestRates.WarmUp);
        var throttled = requests.Count(r => r.Status == 429);
        var share = requests.Count == 0 ? 0 : (double)throttled / requests.Count;
        var state = run.State;
        var stateMiB = state.Length / 1024.0 / 1024.0;
        var opened = await OpenTimeAsync(native, open, state);

        var scenario = $"(h) platform: {count:N0} connected accounts × {each} objects a stream + {Large} of {largeCharges:N0} charges, 2 streams, {latency.TotalMilliseconds:F0} ms, Stripe's two limits";
        row(scenario, "first document after open", $"{firstDocument?.TotalSeconds ?? double.NaN:F1} s", "", "≤ 30 s", check(firstDocument?.TotalSeconds <= 30));
        row(scenario, "every account caught up ÷ floor", (caughtUp / floor).ToString("F2", CultureInfo.InvariantCulture),
            $"{caughtUp:F0} s; floor {floor:F0} s ({accepted:N0} accepted requests ÷ {KeyLimit}/s)", "", "");
        row(scenario, "accepted requests ÷ Stripe's ceiling, each second after 15 s", seconds.Ratio.ToString("F3", CultureInfo.InvariantCulture),
            $"{seconds.Accepted.Sum():N0} of {seconds.Ceiling.Sum():N0} in {seconds.Ceiling.Length} s", "≥ 0.9", check(seconds.Ratio >= 0.9));
        row(scenario, "429s ÷ requests", share.ToString("P2", CultureInfo.InvariantCulture), $"{throttled:N0} of {requests.Count:N0}; {LimitsScenario.ByReason(requests)}", "< 1%", check(share < 0.01));
        row(scenario, "peak RSS", $"{run.PeakRssMb:F1} MB", $"{run.CpuSeconds:F1} s CPU", "≤ 256 MB", check(run.PeakRssMb <= 256));
        row(scenario, "state, merged", $"{stateMiB:F2} MiB", $"{run.Checkpoints:N0} checkpoints", "≤ 32 MiB", check(stateMiB <= 32));
        row(scenario, "open on that state → opened", $"{opened.TotalSeconds:F2} s", "", "≤ 5 s", check(opened.TotalSeconds <= 5));
        row(scenario, "lost objects", lost.ToString(CultureInfo.InvariantCulture), $"{run.Objects:N0} objects of {accounts.Count:N0} accounts", "0", check(lost == 0));
        figures.Add(("platform_first_document_s", F(firstDocument?.TotalSeconds ?? double.NaN)));
        figures.Add(("platform_caught_up_s", F(caughtUp)));
        figures.Add(("platform_floor_s", F(floor)));
        figures.Add(("platform_ceiling_ratio", seconds.Ratio.ToString("F3", CultureInfo.InvariantCulture)));
        figures.Add(("platform_429_share", share.ToString("F4", CultureInfo.InvariantCulture)));
        figures.Add(("platform_rss_mb", F(run.PeakRssMb)));
        figures.Add(("platform_state_mib", F(stateMiB)));
        figures.Add(("platform_open_s", F(opened.TotalSeconds)));
        return lost;
    }

    private static string F(double value) => value.ToString("F1", CultureInfo.InvariantCulture);

    /// <summary>How long the binary takes from an open holding <paramref name="state"/> to its <c>opened</c> line.</summary>
    private static async Task<TimeSpan> OpenTimeAsync(string native, JsonNode open, byte[] state)
    {
        var request = open.DeepClone();
        request["open"]!["state"] = JsonNode.Parse(state);
        var line = request.ToJsonString();
        var start = ConnectorRun.StartInfo(native);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var clock = Stopwatch.StartNew();
        await process.StandardInput.WriteLineAsync(line);
        await process.StandardInput.FlushAsync();
        var first = await process.StandardOutput.ReadLineAsync();
        var took = clock.Elapsed;
        process.StandardInput.Close();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
        }
        if (first is null || !first.StartsWith("{\"opened\"", StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"the capture did not open on the platform's state: {first}\n{await stderr}");
        }
        return took;
    }
}
