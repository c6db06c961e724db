using System.Globalization;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>
/// (g) A Connect platform: 1,000 connected accounts of 20 objects per stream and one of 100,000 objects, captured
/// together with <c>capture_connected_accounts</c> at 100 requests a second and 250 ms latency. Measures whether the
/// accounts keep the shared limit busy, memory, and how long the smallest and the largest account wait for their
/// first document and to be caught up.
/// </summary>
public static class ConnectedScenario
{
    public static async Task<long> RunAsync(string native, string secret, bool smoke, (string Stream, double Share)[] mix, CpuScenario.RowWriter row,
        Func<bool, string> check, List<(string Key, string Value)> figures)
    {
        const int Limit = 100;
        var smallAccounts = smoke ? 20 : 1_000;
        var largeObjects = smoke ? 2_000 : 100_000;
        var streams = mix.Select(m => m.Stream).ToList();
        var large = mix.ToDictionary(m => m.Stream, m => (int)(largeObjects * m.Share));
        large[mix[0].Stream] += largeObjects - large.Values.Sum();
        await using var simulator = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 11,
            SecretKey = secret,
            ObjectsPerStream = 20,
            ConnectedAccounts = [.. Enumerable.Range(0, smallAccounts).Select(_ => new ConnectedAccountOptions { ObjectsPerStream = 20 }),
                new ConnectedAccountOptions { ObjectsPerStream = 0, ObjectCounts = large }],
        });
        var largeId = simulator.ConnectedAccountIds[^1];
        // Accounts are generated on their first request: the large one now, so that the run measures the connector.
        _ = simulator.AccountFor(largeId);
        // Not during the run: a full collection of the driver's process stalls the simulator (as in (a)).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        simulator.RateLimits = RateLimits.Stripe;
        var latency = TimeSpan.FromMilliseconds(smoke ? 20 : 250);
        simulator.Latency = latency;

        var accounts = new List<string> { "acct_simulator" };
        accounts.AddRange(simulator.ConnectedAccountIds);
        var progress = new AccountProgress(accounts, streams);
        var open = JsonNode.Parse(Requests.Open(simulator.BaseUrl, secret, DateTimeOffset.UtcNow.AddDays(-800), streams, null))!;
        open["open"]!["capture"]!["config"]!["capture_connected_accounts"] = true;
        IReadOnlyList<RecordedRequest> requests = [];
        var run = await ConnectorRun.RunAsync(native, open.ToJsonString(), streams, TimeSpan.FromMinutes(smoke ? 3 : 20), () => requests = simulator.Requests,
            progress.Observe, finished: () => progress.AllCaughtUp);

        long lost = 0;
        foreach (var account in accounts)
        {
            var truth = simulator.AccountFor(account);
            lost += streams.Sum(s => (long)truth.Objects(s).Count(o => !run.IdsByStream[s].Contains(o.Id)));
        }
        var steady = RequestRates.Steady(requests) / Limit;
        var seconds = RequestRates.AgainstCeiling(requests, Limit, 25, RequestRates.WarmUp);
        var throttled = requests.Count(r => r.Status == 429);
        var share = requests.Count == 0 ? 0 : (double)throttled / requests.Count;
        var small = simulator.ConnectedAccountIds.Take(smallAccounts).ToList();

        var scenario = $"(g) Connect platform: {smallAccounts:N0} accounts × 20 objects a stream + 1 of {largeObjects:N0}, {streams.Count} streams, {latency.TotalMilliseconds:F0} ms, Stripe's two limits";
        row(scenario, "accepted requests ÷ Stripe's ceiling, each second after 15 s", seconds.Ratio.ToString("F3", CultureInfo.InvariantCulture),
            $"{seconds.Accepted.Sum():N0} of {seconds.Ceiling.Sum():N0} in {seconds.Ceiling.Length} s ({seconds.Endpoints.Count:N0} account endpoints)", "≥ 0.9", check(seconds.Ratio >= 0.9));
        row(scenario, "accepted requests/s ÷ 100 after 15 s", steady.ToString("F3", CultureInfo.InvariantCulture), $"{requests.Count:N0} requests in {run.Wall.TotalSeconds:F0} s", "", "");
        row(scenario, "429s ÷ requests", share.ToString("P2", CultureInfo.InvariantCulture), $"{throttled} of {requests.Count:N0}; {LimitsScenario.ByReason(requests)}", "< 1%", check(share < 0.01));
        row(scenario, "peak RSS", $"{run.PeakRssMb:F1} MB", $"{run.CpuSeconds:F1} s CPU", "≤ 64 MB", check(run.PeakRssMb <= 64));
        row(scenario, "small accounts: first document, median / last", $"{Seconds(progress.FirstDocument, small, 0.5)} / {Seconds(progress.FirstDocument, small, 1)} s", "", "", "");
        row(scenario, "small accounts: caught up, median / last", $"{Seconds(progress.CaughtUp, small, 0.5)} / {Seconds(progress.CaughtUp, small, 1)} s", "", "", "");
        row(scenario, $"large account ({largeObjects:N0}): first document / caught up", $"{Seconds(progress.FirstDocument, [largeId], 1)} / {Seconds(progress.CaughtUp, [largeId], 1)} s", "", "", "");
        row(scenario, "lost objects", lost.ToString(CultureInfo.InvariantCulture), $"{run.Objects:N0} objects of {accounts.Count:N0} accounts", "0", check(lost == 0));
        figures.Add(("connect_ceiling_ratio", seconds.Ratio.ToString("F3", CultureInfo.InvariantCulture)));
        figures.Add(("connect_429_share", share.ToString("F4", CultureInfo.InvariantCulture)));
        figures.Add(("connect_steady_rate_ratio", steady.ToString("F3", CultureInfo.InvariantCulture)));
        figures.Add(("connect_rss_mb", run.PeakRssMb.ToString("F1", CultureInfo.InvariantCulture)));
        figures.Add(("connect_small_caught_up_median_s", Seconds(progress.CaughtUp, small, 0.5)));
        figures.Add(("connect_large_caught_up_s", Seconds(progress.CaughtUp, [largeId], 1)));
        return lost;
    }

    /// <summary>The time (s from the start) by which <paramref name="share"/> of the accounts had got there.</summary>
    private static string Seconds(IReadOnlyDictionary<string, TimeSpan> at, IReadOnlyList<string> accounts, double share)
    {
        var times = accounts.Select(a => at.TryGetValue(a, out var t) ? t.TotalSeconds : double.NaN).Order().ToList();
        return times.Count == 0 ? "-" : times[Math.Max(0, (int)Math.Ceiling(share * times.Count) - 1)].ToString("F1", CultureInfo.InvariantCulture);
    }
}
