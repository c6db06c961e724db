using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>Adds one row to the bench table: scenario, figure, value, baseline / detail, target, result.</summary>
public delegate void TableRow(string scenario, string figure, string value, string detail, string target, string verdict);

/// <summary>
/// Scenario (f), change capture lag: how long after a burst of changes stops every changed object's last version
/// has been captured. A small account is backfilled first; then objects of several event-driven streams change at a
/// steady rate while the connector keeps capturing, with <c>event_payloads: refetch</c> so that every changed object is
/// read again (what an account whose default API version is not the pinned one costs). See bench/README.md.
/// </summary>
public static class ChangeLagScenario
{
    private const double TargetSeconds = 90;

    /// <summary>Streams that take changes from events, weighted as a payments account changes them.</summary>
    internal static readonly (string Stream, double Weight)[] Mix =
    [
        ("charges", 0.25), ("payment_intents", 0.25), ("customers", 0.2), ("invoices", 0.15), ("subscriptions", 0.1), ("products", 0.05),
    ];

    /// <summary>The sizes of one run: the full one, or the smoke run that only keeps the scenario from rotting.</summary>
    private sealed record Settings(TimeSpan Changing, int PerSecond, TimeSpan Latency, int? EventLagSeconds, string Interval, TimeSpan Cap, int Objects)
    {
        public static readonly Settings Full = new(TimeSpan.FromMinutes(3), 8, TimeSpan.FromMilliseconds(250), null, "PT5S", TimeSpan.FromMinutes(10), 2_000);

        // Events read 2 s behind now instead of 60, so the smoke run takes seconds, not minutes.
        public static readonly Settings Smoke = new(TimeSpan.FromSeconds(10), 8, TimeSpan.Zero, 2, "PT1S", TimeSpan.FromMinutes(2), 200);

        /// <summary>The connector's default <c>event_lag_seconds</c> when the run sets none (the bench drives the binary and shares no code with it).</summary>
        public int EventLag => EventLagSeconds ?? 60;
    }

    /// <summary>Runs the scenario, adds its rows and figures, and returns how many changed objects' last versions were never captured.</summary>
    public static async Task<int> RunAsync(string binary, string secret, bool smoke, TableRow row, Func<bool, string> check, List<(string Key, string Value)> figures)
    {
        var settings = smoke ? Settings.Smoke : Settings.Full;
        var streams = Mix.Select(m => m.Stream).ToList();
        await using var simulator = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 11,
            SecretKey = secret,
            // Every stream gets a few objects for references to point at; the changed streams get more.
            ObjectsPerStream = 50,
            ObjectCounts = streams.ToDictionary(s => s, s => s is "products" or "subscriptions" ? settings.Objects / 4 : settings.Objects),
            Latency = settings.Latency,
        });
        simulator.RateLimits = RateLimits.Stripe;

        var revisions = new CapturedRevisions(streams);
        var changes = new ChangeMaker(simulator, Mix, seed: 5);
        (long Started, long Stopped) window = default;
        DateTimeOffset changesFrom = default, capturedAt = default;
        var missed = 0;
        var lags = new List<double>();
        var sinceLastChange = new List<double>();
        var run = await ConnectorRun.RunAsync(binary, OpenRequest(simulator.BaseUrl, secret, streams, settings), streams, settings.Cap, observe: revisions.Observe,
            afterBackfill: async () =>
            {
                simulator.ClearRequests();
                changesFrom = DateTimeOffset.UtcNow;
                window = await changes.RunAsync(settings.PerSecond, settings.Changing);
                // Polled, not timed: the figure is whatever it takes, up to the cap.
                var deadline = Stopwatch.GetTimestamp() + (long)(settings.Cap.TotalSeconds * Stopwatch.Frequency);
                while (Uncaptured(changes, revisions) > 0 && Stopwatch.GetTimestamp() < deadline)
                {
                    await Task.Delay(200);
                }
                capturedAt = DateTimeOffset.UtcNow;
                foreach (var (key, last) in changes.Last)
                {
                    if (revisions.Arrival(key, last.Revision) is not { } arrival)
                    {
                        missed++;
                        continue;
                    }
                    // Negative when the object's last change came early and was captured before the changes stopped.
                    lags.Add(Stopwatch.GetElapsedTime(window.Stopped, arrival).TotalSeconds);
                    sinceLastChange.Add(Stopwatch.GetElapsedTime(last.At, arrival).TotalSeconds);
                }
            });

        var requests = simulator.Requests.Where(r => r.At >= changesFrom && r.At <= capturedAt).ToList();
        var seconds = (capturedAt - changesFrom).TotalSeconds;
        var events = requests.Count(r => r.Path == "/v1/events");
        // A retrieve is /v1/<resource>/<id>: one more path segment than the lists of these streams.
        var retrieves = requests.Count(r => r.Path.Count(c => c == '/') >= 3);
        var throttled = requests.Count(r => r.Status == 429);
        var changing = Stopwatch.GetElapsedTime(window.Started, window.Stopped);
        var max = lags.Count > 0 ? lags.Max() : double.NaN;
        var median = Startup.Median(lags);

        var scenario = $"(f) change capture lag, {Mix.Length} streams";
        row(scenario, "settings", $"{settings.PerSecond} changes/s for {settings.Changing.TotalSeconds:F0} s",
            $"event_payloads refetch, interval {settings.Interval}, events {settings.EventLag} s behind, {settings.Latency.TotalMilliseconds:F0} ms median latency, Stripe's two limits", "", "");
        row(scenario, "backfill first", $"{run.Wall.TotalSeconds:F1} s", $"{run.Objects:N0} objects", "", "");
        row(scenario, "changes", changes.Changes.ToString("N0", CultureInfo.InvariantCulture),
            $"to {changes.Last.Count:N0} objects, {changes.Changes / changing.TotalSeconds:F1}/s over {changing.TotalSeconds:F1} s", "", "");
        row(scenario, "all last versions captured, after the changes stopped", $"{max:F1} s",
            $"floor ≈ {settings.EventLag} s event lag + {settings.Interval} interval + a cycle", $"≤ {TargetSeconds:F0} s", check(max <= TargetSeconds));
        row(scenario, "median over changed objects", $"{median:F1} s", $"median since each object's last change: {Startup.Median(sinceLastChange):F1} s", "", "");
        row(scenario, "requests/s, changes start → all captured", F1(requests.Count / seconds),
            $"{events:N0} events pages, {retrieves:N0} retrieves, {requests.Count - events - retrieves:N0} lists, {throttled:N0} 429s in {seconds:F0} s", "", "");
        row(scenario, "last versions never captured", missed.ToString(CultureInfo.InvariantCulture), $"within {settings.Cap.TotalMinutes:F0} min", "0", check(missed == 0));
        figures.Add(("change_lag_max_s", F1(max)));
        figures.Add(("change_lag_median_s", F1(median)));
        figures.Add(("change_lag_requests_per_s", F1(requests.Count / seconds)));
        figures.Add(("change_lag_changes", changes.Changes.ToString(CultureInfo.InvariantCulture)));
        figures.Add(("change_lag_objects", changes.Last.Count.ToString(CultureInfo.InvariantCulture)));
        figures.Add(("change_lag_missed", missed.ToString(CultureInfo.InvariantCulture)));
        return missed;
    }

    private static int Uncaptured(ChangeMaker changes, CapturedRevisions revisions) =>
        changes.Last.Count(c => revisions.Arrival(c.Key, c.Value.Revision) is null);

    /// <summary>Bench's usual open request, with every object refetched, events read often, and (smoke) a short event lag.</summary>
    private static string OpenRequest(Uri baseUrl, string secret, IReadOnlyList<string> streams, Settings settings)
    {
        var open = JsonNode.Parse(Requests.Open(baseUrl, secret, DateTimeOffset.UtcNow.AddDays(-800), streams, null))!;
        var capture = open["open"]!["capture"]!;
        var advanced = capture["config"]!["advanced"]!.AsObject();
        advanced["event_payloads"] = "refetch";
        if (settings.EventLagSeconds is { } lag)
        {
            advanced["event_lag_seconds"] = lag;
        }
        // The events reader cycles at the smallest binding interval.
        foreach (var binding in capture["bindings"]!.AsArray())
        {
            binding!["resourceConfig"]!["interval"] = settings.Interval;
        }
        return open.ToJsonString();
    }

    private static string F1(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
}
