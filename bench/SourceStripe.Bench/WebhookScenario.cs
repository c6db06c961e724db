using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Simulator.Webhooks;
using SourceStripe.Webhooks;

namespace SourceStripe.Bench;

/// <summary>
/// Scenario (w), webhooks: how long each change takes to reach stdout when Stripe pushes its events, beside the same
/// load polled; and what the listener costs at 500 webhooks a second. A live account of (f)'s streams is backfilled,
/// then changed at a steady rate while the capture runs, its events delivered by the simulator as Stripe delivers
/// them (signed, retried while the answer is not 2xx) to the connector's listener on loopback; the driver
/// acknowledges each checkpoint as Flow does, so a webhook is answered once its documents are committed. See
/// bench/README.md.
/// </summary>
public static class WebhookScenario
{
    private const double TargetP99Seconds = 1;
    private const string Secret = "whsec_benchmarkbenchmarkbenchmark";

    private sealed record Settings(int PerSecond, TimeSpan Changing, int BurstPerSecond, TimeSpan Burst, TimeSpan Latency, int? EventLagSeconds, TimeSpan Cap, int Objects)
    {
        public static readonly Settings Full = new(50, TimeSpan.FromSeconds(60), 500, TimeSpan.FromSeconds(20), TimeSpan.FromMilliseconds(250), null, TimeSpan.FromMinutes(4), 2_000);

        // Events read 2 s behind now instead of 60, so the polled run of the smoke takes seconds.
        public static readonly Settings Smoke = new(10, TimeSpan.FromSeconds(5), 100, TimeSpan.FromSeconds(3), TimeSpan.Zero, 2, TimeSpan.FromMinutes(2), 200);
    }

    /// <summary>What one run measured: each change's latency (seconds), the changes never captured, and the listener's cost.</summary>
    private sealed record Measured(List<double> Latencies, int Missed, int Changes, double CpuSeconds, double PeakRssMb, int Delivered, int Rejected);

    public static async Task<int> RunAsync(string binary, string secret, bool smoke, TableRow row, Func<bool, string> check, List<(string Key, string Value)> figures)
    {
        var settings = smoke ? Settings.Smoke : Settings.Full;
        var on = await MeasureAsync(binary, secret, settings, webhooks: true, settings.PerSecond, settings.Changing);
        var off = await MeasureAsync(binary, secret, settings, webhooks: false, settings.PerSecond, settings.Changing);
        var burst = await MeasureAsync(binary, secret, settings, webhooks: true, settings.BurstPerSecond, settings.Burst);

        var scenario = "(w) webhooks: a live account changing, its events pushed to the listener";
        var p99 = Percentile(on.Latencies, 0.99);
        row(scenario, "settings", $"{settings.PerSecond} changes/s for {settings.Changing.TotalSeconds:F0} s",
            $"(f)'s 6 streams, {settings.Latency.TotalMilliseconds:F0} ms median latency, Stripe's two limits, payloads in the pinned version, every checkpoint acknowledged", "", "");
        row(scenario, "change → its document on stdout, webhooks on: p50 / p99", $"{Percentile(on.Latencies, 0.5):F2} / {p99:F2} s",
            $"max {Max(on.Latencies):F2} s over {on.Changes:N0} changes; {on.Delivered:N0} deliveries answered 2xx, {on.Rejected:N0} not", $"p99 ≤ {TargetP99Seconds:F0} s", check(p99 <= TargetP99Seconds));
        row(scenario, "the same, webhooks off (events polled)", $"{Percentile(off.Latencies, 0.5):F2} / {Percentile(off.Latencies, 0.99):F2} s",
            $"max {Max(off.Latencies):F2} s; events read {(settings.EventLagSeconds ?? 60)} s behind now, every 5 s", "", "");
        row(scenario, $"listener at {settings.BurstPerSecond} webhooks/s: connector CPU, peak RSS", $"{burst.CpuSeconds / settings.Burst.TotalSeconds:P0} of a core, {burst.PeakRssMb:F1} MB",
            $"{burst.Changes:N0} changes in {settings.Burst.TotalSeconds:F0} s; p50 / p99 {Percentile(burst.Latencies, 0.5):F2} / {Percentile(burst.Latencies, 0.99):F2} s; {burst.Delivered:N0} deliveries 2xx, {burst.Rejected:N0} not", "", "");
        var missed = on.Missed + off.Missed + burst.Missed;
        row(scenario, "changes never captured", missed.ToString(CultureInfo.InvariantCulture), $"within {settings.Cap.TotalMinutes:F0} min of the last change, all three runs", "0", check(missed == 0));
        figures.Add(("webhook_p50_s", F2(Percentile(on.Latencies, 0.5))));
        figures.Add(("webhook_p99_s", F2(p99)));
        figures.Add(("webhook_off_p50_s", F2(Percentile(off.Latencies, 0.5))));
        figures.Add(("webhook_off_p99_s", F2(Percentile(off.Latencies, 0.99))));
        figures.Add(("webhook_burst_cpu_share", F2(burst.CpuSeconds / settings.Burst.TotalSeconds)));
        figures.Add(("webhook_burst_rss_mb", F2(burst.PeakRssMb)));
        figures.Add(("webhook_missed", missed.ToString(CultureInfo.InvariantCulture)));
        return missed;
    }

    private static async Task<Measured> MeasureAsync(string binary, string secret, Settings settings, bool webhooks, int perSecond, TimeSpan changing)
    {
        var mix = ChangeLagScenario.Mix;
        var streams = mix.Select(m => m.Stream).ToList();
        await using var simulator = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 13,
            SecretKey = secret,
            ObjectsPerStream = 50,
            ObjectCounts = streams.ToDictionary(s => s, s => s is "products" or "subscriptions" ? settings.Objects / 4 : settings.Objects),
            Latency = settings.Latency,
            // Stripe sends many deliveries at once; the default of the simulator is modest.
            Webhooks = new WebhookOptions { MaxConcurrentDeliveries = 256 },
        });
        simulator.RateLimits = RateLimits.Stripe;
        var port = LoopbackPort.Free();
        if (webhooks)
        {
            simulator.AddWebhookDestination(new WebhookDestination { Url = new Uri($"http://127.0.0.1:{port}/stripe"), Secrets = [Secret] });
        }

        var revisions = new CapturedRevisions(streams);
        var changes = new ChangeMaker(simulator, mix, seed: 7);
        var pid = 0;
        double cpu = 0;
        var latencies = new List<double>();
        var missed = 0;
        var run = await ConnectorRun.RunAsync(binary, OpenRequest(simulator.BaseUrl, secret, streams, settings, webhooks ? port : null), streams, settings.Cap,
            observe: revisions.Observe, started: id => pid = id,
            afterBackfill: async () =>
            {
                var cpuBefore = ConnectorRun.CpuSeconds(pid);
                await changes.RunAsync(perSecond, changing);
                var deadline = Stopwatch.GetTimestamp() + (long)(settings.Cap.TotalSeconds * Stopwatch.Frequency);
                // Polled, not timed: the figures are whatever it takes, up to the cap.
                while (changes.Made.Any(c => revisions.ArrivalFrom((c.Stream, c.Id), c.Revision) is null) && Stopwatch.GetTimestamp() < deadline)
                {
                    await Task.Delay(100);
                }
                cpu = ConnectorRun.CpuSeconds(pid) - cpuBefore;
                foreach (var (stream, id, revision, at) in changes.Made)
                {
                    if (revisions.ArrivalFrom((stream, id), revision) is { } arrival)
                    {
                        latencies.Add(Stopwatch.GetElapsedTime(at, arrival).TotalSeconds);
                    }
                    else
                    {
                        missed++;
                    }
                }
            });
        var attempts = simulator.WebhookAttempts.Snapshot();
        return new Measured(latencies, missed, changes.Changes, cpu, run.PeakRssMb, attempts.Count(a => a.Delivered), attempts.Count(a => !a.Delivered));
    }

    /// <summary>(f)'s open request, each binding polled every 5 s, and with <paramref name="port"/> the webhook secret and listener address.</summary>
    private static string OpenRequest(Uri baseUrl, string secret, IReadOnlyList<string> streams, Settings settings, int? port)
    {
        var open = JsonNode.Parse(Requests.Open(baseUrl, secret, DateTimeOffset.UtcNow.AddDays(-800), streams, null))!;
        var capture = open["open"]!["capture"]!;
        var config = capture["config"]!.AsObject();
        var advanced = config["advanced"]!.AsObject();
        if (settings.EventLagSeconds is { } lag)
        {
            advanced["event_lag_seconds"] = lag;
        }
        if (port is { } listening)
        {
            config["webhook_signing_secret"] = Secret;
            advanced["webhook_address"] = $"127.0.0.1:{listening}";
        }
        foreach (var binding in capture["bindings"]!.AsArray())
        {
            binding!["resourceConfig"]!["interval"] = "PT5S";
        }
        return open.ToJsonString();
    }

    private static double Percentile(List<double> values, double share)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }
        var sorted = values.Order().ToList();
        return sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(share * sorted.Count) - 1)];
    }

    private static double Max(List<double> values) => values.Count > 0 ? values.Max() : double.NaN;

    private static string F2(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
}
