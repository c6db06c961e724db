using System.Globalization;
using SourceStripe.Simulator;

namespace SourceStripe.Bench;

/// <summary>
/// (b) CPU per MB: the connector's whole-process CPU time per MB of documents it wrote, on Stripe-sized objects
/// served as Stripe serves them (indented, gzip'd), beside a baseline in the same run: a minimal HttpClient loop
/// that fetches the same pages, decompresses and discards them. The same account served compact and unzipped
/// gives the ceiling of what parsing and copying cost without Stripe's whitespace and compression.
/// </summary>
public static class CpuScenario
{
    /// <summary>Top-level streams of the seed whose objects are Stripe's large ones (2–11 KB compact).</summary>
    private static readonly string[] Streams = ["charges", "customers", "invoices", "payment_intents", "subscriptions", "checkout_sessions", "disputes"];

    public delegate void RowWriter(string scenario, string figure, string value, string baselineValue, string target, string verdict);

    public static async Task<long> RunAsync(string native, string driver, string secret, bool smoke, RowWriter row, Func<bool, string> check,
        List<(string Key, string Value)> figures)
    {
        var perStream = smoke ? 150 : 3_000;
        await using var simulator = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 7,
            SecretKey = secret,
            ObjectsPerStream = 0,
            ObjectCounts = Streams.ToDictionary(s => s, _ => perStream),
        });
        var startDate = DateTimeOffset.UtcNow.AddDays(-800);
        var open = Requests.Open(simulator.BaseUrl, secret, startDate, Streams, 10_000);
        var timeout = TimeSpan.FromMinutes(smoke ? 2 : 10);
        long lost = 0;

        var scenario = $"(b) CPU per MB: {Streams.Length} streams × {perStream:N0} Stripe-sized objects, no latency, no limit";
        foreach (var format in new[] { WireFormat.Stripe, WireFormat.Compact })
        {
            simulator.WireFormat = format;
            var run = await ConnectorRun.RunAsync(native, open, Streams, timeout);
            lost += Streams.Sum(s => (long)simulator.Account.Objects(s).Count(o => !run.IdsByStream[s].Contains(o.Id)));
            var baseline = await Baseline.RunAsync(driver, simulator, secret, Streams, 32);
            var mb = run.DocumentBytes / 1e6;
            var msPerMb = run.CpuSeconds * 1000 / mb;
            // The loop fetched the same pages: its CPU per MB of the connector's output, page for page.
            var baselineMsPerMb = baseline.CpuSeconds * 1000 / mb * run.Objects / Math.Max(1, baseline.Objects);
            var ratio = msPerMb / baselineMsPerMb;
            var name = format == WireFormat.Stripe ? "indented + gzip" : "compact";
            var key = format == WireFormat.Stripe ? "cpu" : "cpu_compact";
            if (format == WireFormat.Stripe)
            {
                row(scenario, $"{name}: connector CPU ms per MB of documents", F(msPerMb, 2), $"{run.CpuSeconds:F2} s CPU for {mb:F0} MB ({run.Objects:N0} objects, {mb / run.Wall.TotalSeconds:F0} MB/s)", "≤ 4", check(msPerMb <= 4));
                row(scenario, $"{name}: connector ÷ HttpClient loop CPU", F(ratio, 2), $"loop: {baselineMsPerMb:F2} ms per MB ({baseline.CpuSeconds:F2} s for {baseline.Bytes / 1e6:F0} MB of bodies)", "≤ 2", check(ratio <= 2));
            }
            else
            {
                row(scenario, $"{name}: connector CPU ms per MB of documents", F(msPerMb, 2), $"{run.CpuSeconds:F2} s CPU for {mb:F0} MB; ÷ loop {ratio:F2} (loop: {baselineMsPerMb:F2} ms per MB)", "", "");
            }
            figures.Add(($"{key}_ms_per_mb", F(msPerMb, 3)));
            figures.Add(($"{key}_baseline_ms_per_mb", F(baselineMsPerMb, 3)));
            figures.Add(($"{key}_ratio", F(ratio, 3)));
            figures.Add(($"{key}_mb", F(mb, 1)));
        }
        row(scenario, "lost objects", lost.ToString(CultureInfo.InvariantCulture), "", "0", check(lost == 0));
        return lost;
    }

    private static string F(double value, int digits) => value.ToString("F" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
}
