using System.Globalization;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>
/// Stripe's two limits (the key's 100 a second live, 25 with a test key; 25 for each endpoint) enforced by the
/// simulator, at 250 ms median latency with a tail: (s) a live account whose history is mostly one resource, as a
/// real account's is mostly charges, and (t) a test key. See bench/README.md.
/// </summary>
public static class LimitsScenario
{
    private const int EndpointLimit = 25;

    /// <summary>A second of the run counts once the key's pace has climbed to its aim (80% to 98% at 5% a second).</summary>
    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(5);

    /// <summary>The other resources of the skewed account: a few thousand objects each.</summary>
    private static readonly string[] Others =
        ["customers", "payment_intents", "refunds", "balance_transactions", "payouts", "products", "coupons", "promotion_codes", "disputes", "transfers", "prices", "plans"];

    /// <summary>(s): most objects in charges; the ceiling falls to charges' own 25 a second once the others are done.</summary>
    public static async Task<long> SkewedAsync(string native, string secret, bool smoke, TableRow row, Func<bool, string> check, List<(string Key, string Value)> figures)
    {
        var charges = smoke ? 3_000 : 150_000;
        var each = smoke ? 100 : 5_000;
        var counts = Others.ToDictionary(s => s, _ => each);
        counts["charges"] = charges;
        var scenario = $"(s) skewed live account: {charges:N0} charges + {each:N0} of {Others.Length} others, both limits, {(smoke ? 20 : 250)} ms";
        return await RunAsync(native, secret, 100, counts, smoke, scenario, "skewed", row, check, figures, tailOf: "GET /v1/charges");
    }

    /// <summary>(t): a test key's 25 a second over every endpoint.</summary>
    public static async Task<long> TestKeyAsync(string native, bool smoke, (string Stream, double Share)[] mix, TableRow row, Func<bool, string> check, List<(string Key, string Value)> figures)
    {
        var objects = smoke ? 3_000 : 100_000;
        var counts = mix.ToDictionary(m => m.Stream, m => (int)(objects * m.Share));
        var scenario = $"(t) test key: {objects:N0} objects in {mix.Length} streams, 25 req/s, {(smoke ? 20 : 250)} ms";
        return await RunAsync(native, "sk_test_bench_00000000000000", 25, counts, smoke, scenario, "test_key", row, check, figures, tailOf: null);
    }

    private static async Task<long> RunAsync(string native, string secret, int keyLimit, Dictionary<string, int> counts, bool smoke, string scenario, string key,
        TableRow row, Func<bool, string> check, List<(string Key, string Value)> figures, string? tailOf)
    {
        var streams = counts.Keys.ToList();
        await using var simulator = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 23,
            SecretKey = secret,
            ObjectsPerStream = 0,
            ObjectCounts = counts,
            RecentSkew = 0.8,
        });
        // The simulator stands in for Stripe, which does not stop: a full collection of the driver's process now, not
        // counted, rather than one during the run that would stall the simulator and let requests sent meanwhile arrive
        // together, as (a) does.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var paused = GC.GetTotalPauseDuration();
        simulator.ClearRequests();
        simulator.RateLimits = RateLimits.Stripe;
        simulator.Latency = TimeSpan.FromMilliseconds(smoke ? 20 : 250);
        IReadOnlyList<RecordedRequest> requests = [];
        // The connector as a user runs it: its pace is the key's own, nothing set.
        var run = await ConnectorRun.RunAsync(native, Requests.Open(simulator.BaseUrl, secret, DateTimeOffset.UtcNow.AddDays(-800), streams, null), streams,
            TimeSpan.FromMinutes(smoke ? 3 : 20), () => requests = simulator.Requests);
        var lost = streams.Sum(s => (long)simulator.Account.Objects(s).Count(o => !run.IdsByStream[s].Contains(o.Id)));

        var seconds = RequestRates.AgainstCeiling(requests, keyLimit, EndpointLimit, WarmUp);
        if (Environment.GetEnvironmentVariable("BENCH_TIMELINE") is { Length: > 0 } timeline)
        {
            // Per whole second after the warm-up: accepted, ceiling.
            await File.WriteAllLinesAsync($"{timeline}.{key}", seconds.Accepted.Select((a, i) => FormattableString.Invariant($"{i + WarmUp.TotalSeconds} {a} {seconds.Ceiling[i]}")));
        }
        var throttled = requests.Count(r => r.Status == 429);
        var share = requests.Count == 0 ? 0 : (double)throttled / requests.Count;
        row(scenario, "accepted requests ÷ Stripe's ceiling, each second after 5 s", F3(seconds.Ratio),
            $"{seconds.Accepted.Sum():N0} of {seconds.Ceiling.Sum():N0} in {seconds.Ceiling.Length} s; ceiling min({keyLimit}, 25 × endpoints with work)", "≥ 0.95", check(seconds.Ratio >= 0.95));
        row(scenario, "429s ÷ requests", F4P(share), $"{throttled} of {requests.Count:N0}; {ByReason(requests)}; driver+simulator GC paused {(GC.GetTotalPauseDuration() - paused).TotalSeconds:F1} s", "< 1%", check(share < 0.01));
        figures.Add(($"{key}_ceiling_ratio", F3(seconds.Ratio)));
        figures.Add(($"{key}_429_share", F4(share)));
        if (tailOf is not null)
        {
            var endpoint = requests.Where(r => r.Endpoint == tailOf).Select(RequestRates.Endpoint).FirstOrDefault() ?? tailOf;
            var alone = Enumerable.Range(0, seconds.Ceiling.Length).Count(i => seconds.Ceiling[i] <= EndpointLimit);
            var tail = RequestRates.Tail(requests, endpoint, 10);
            var tailRatio = tail.Length == 0 ? double.NaN : tail.Average() / EndpointLimit;
            row(scenario, "the last stream's last 10 s: accepted ÷ its endpoint's 25", F3(tailRatio),
                $"per second {string.Join(' ', tail.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}; {alone} s alone", "≥ 0.9", check(tailRatio >= 0.9));
            figures.Add(($"{key}_tail_ratio", F3(tailRatio)));
        }
        row(scenario, "wall / objects / lost", $"{run.Wall.TotalSeconds:F1} s", $"{run.Objects:N0} objects, {run.Objects / run.Wall.TotalSeconds:F0} a second", "0 lost", check(lost == 0));
        figures.Add(($"{key}_wall_s", run.Wall.TotalSeconds.ToString("F1", CultureInfo.InvariantCulture)));
        return lost;
    }

    /// <summary>The 429s by the limiter they name.</summary>
    public static string ByReason(IReadOnlyList<RecordedRequest> requests) =>
        string.Join(", ", requests.Where(r => r.Status == 429).GroupBy(r => r.RateLimitedReason ?? "no reason").OrderBy(g => g.Key).Select(g => $"{g.Count()} {g.Key}").DefaultIfEmpty("none"));

    private static string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

    private static string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    private static string F4P(double v) => v.ToString("P2", CultureInfo.InvariantCulture);
}
