using System.Diagnostics;
using System.Globalization;
using SourceStripe.Bench;
using SourceStripe.Simulator;

// bench/run's driver: source-stripe-bench --native PATH --jit PATH.dll [--smoke] [--change-lag]. See bench/README.md.
var smoke = args.Contains("--smoke");
var native = Path.GetFullPath(Arg("--native"));
var jit = Path.GetFullPath(Arg("--jit"));

const string Secret = "sk_live_bench_00000000000000";
const int Limit = 100;
const int Workers = 32;
var bigTotal = smoke ? 4_000 : 1_000_000;
var smallTotal = smoke ? 1_000 : 100_000;
var latency = TimeSpan.FromMilliseconds(smoke ? 20 : 250);
var startupRuns = smoke ? 3 : 20;
var captureTimeout = TimeSpan.FromMinutes(smoke ? 2 : 10);
// Streams whose objects are small (0.4-0.8 KB), so a million of them fit in the simulator's memory.
(string Stream, double Share)[] mix =
[
    ("balance_transactions", 0.4), ("payouts", 0.1), ("transfers", 0.1), ("products", 0.1),
    ("plans", 0.1), ("coupons", 0.1), ("promotion_codes", 0.1),
];
var streams = mix.Select(m => m.Stream).ToList();
var startDate = DateTimeOffset.UtcNow.AddDays(-800);
var figures = new List<(string Key, string Value)>();
var rows = new List<string[]>();
var lost = 0L;
var total = Stopwatch.StartNew();

Console.WriteLine($"source-stripe benchmark ({(smoke ? "smoke: tiny sizes, no targets enforced" : "full")}), {Environment.ProcessorCount} CPUs");
if (args.Contains("--change-lag"))
{
    // (f) alone: it takes minutes of its own, and the other scenarios do not bear on it.
    lost += await ChangeLagScenario.RunAsync(native, Secret, smoke, Row, Check, figures);
    return Finish();
}

// ---- (a) realistic and (b) CPU ceiling, on one account of bigTotal objects (generated once) ----
var generation = Stopwatch.StartNew();
var big = await StripeSimulator.StartAsync(Options(bigTotal));
generation.Stop();
Console.WriteLine($"generated {bigTotal:N0} objects in {generation.Elapsed.TotalSeconds:F1} s (not counted)");
Row("setup", $"generate {Short(bigTotal)} objects (not counted)", $"{generation.Elapsed.TotalSeconds:F1} s", "", "", "");

big.ClearRequests();
big.RateLimitPerSecond = Limit;
big.Latency = latency;
var requestsAtDone = Array.Empty<RecordedRequest>() as IReadOnlyList<RecordedRequest>;
var realistic = await ConnectorRun.RunAsync(native, Requests.Open(big.BaseUrl, Secret, startDate, streams, null), streams, captureTimeout,
    () => requestsAtDone = big.Requests);
var throttled = requestsAtDone.Count(r => r.Status == 429);
var accepted = requestsAtDone.Count - throttled;
var realisticLost = Lost(big, realistic);
lost += realisticLost;
var realisticRate = accepted / realistic.Wall.TotalSeconds;
var rateRatio = realisticRate / Limit;
var share429 = requestsAtDone.Count == 0 ? 0 : (double)throttled / requestsAtDone.Count;
// The limiter starts at half the rate and climbs: the rate once it has had 15 s to get there.
var firstRequest = requestsAtDone.Count == 0 ? DateTimeOffset.UtcNow : requestsAtDone.Min(r => r.At);
var lastRequest = requestsAtDone.Count == 0 ? firstRequest : requestsAtDone.Max(r => r.At);
var steadyFrom = firstRequest.AddSeconds(15);
var steadyRate = lastRequest > steadyFrom ? requestsAtDone.Count(r => r.Status != 429 && r.At >= steadyFrom) / (lastRequest - steadyFrom).TotalSeconds : double.NaN;
var seconds429 = requestsAtDone.Where(r => r.Status == 429).Select(r => r.At.ToUnixTimeSeconds()).Distinct().Count();
if (Environment.GetEnvironmentVariable("BENCH_TIMELINE") is { Length: > 0 } timelinePath)
{
    // Per second of the realistic run: requests accepted, requests throttled.
    await File.WriteAllLinesAsync(timelinePath, requestsAtDone.GroupBy(r => (long)(r.At - firstRequest).TotalSeconds).OrderBy(g => g.Key)
        .Select(g => FormattableString.Invariant($"{g.Key} {g.Count(r => r.Status != 429)} {g.Count(r => r.Status == 429)}")));
}
var ideal = realistic.Objects / 10_000.0;
var wallOverIdeal = realistic.Wall.TotalSeconds / ideal;
var realisticObjects = realistic.Objects / realistic.Wall.TotalSeconds;
var scenarioA = $"(a) realistic {Short(bigTotal)}, {latency.TotalMilliseconds:F0} ms median latency, {Limit} req/s limit";
Row(scenarioA, "objects/s", F0(realisticObjects), "10,000 (limit × 100)", "", "");
Row(scenarioA, "accepted requests/s ÷ limit", F2(rateRatio), $"{realisticRate:F1} req/s of {Limit}", "≥ 0.90", Check(rateRatio >= 0.9));
Row(scenarioA, "accepted requests/s ÷ limit after 15 s", F2(steadyRate / Limit), "the limiter's slow start excluded", "", "");
Row(scenarioA, "429s ÷ requests", $"{share429:P2}", $"{throttled} of {requestsAtDone.Count}, in {seconds429} distinct seconds", "< 1%", Check(share429 < 0.01));
Row(scenarioA, "wall ÷ ideal", F2(wallOverIdeal), $"{realistic.Wall.TotalSeconds:F1} s vs {ideal:F1} s", "", "");
Row(scenarioA, "lost objects", realisticLost.ToString(CultureInfo.InvariantCulture), $"{realistic.Objects:N0} objects in {realistic.Documents:N0} documents", "0", Check(realisticLost == 0));
Row(scenarioA, "peak RSS / CPU", $"{realistic.PeakRssMb:F1} MB", $"{realistic.CpuSeconds:F1} s CPU", "", "");
figures.Add(("realistic_objects_per_s", F0(realisticObjects)));
figures.Add(("realistic_rate_ratio", F3(rateRatio)));
figures.Add(("realistic_429_share", F4(share429)));
figures.Add(("realistic_wall_over_ideal", F3(wallOverIdeal)));
figures.Add(("realistic_requests", requestsAtDone.Count.ToString(CultureInfo.InvariantCulture)));
figures.Add(("realistic_429s", throttled.ToString(CultureInfo.InvariantCulture)));
figures.Add(("realistic_steady_rate_ratio", F3(steadyRate / Limit)));

big.RateLimitPerSecond = null;
big.Latency = TimeSpan.Zero;
big.ClearRequests();
var ceiling = await ConnectorRun.RunAsync(native, Requests.Open(big.BaseUrl, Secret, startDate, streams, 10_000), streams, captureTimeout);
var ceilingLost = Lost(big, ceiling);
lost += ceilingLost;
big.ClearRequests();
// The loop takes well under a second for 1M objects: the median of three runs.
var baselines = new List<BaselineResult>();
for (var i = 0; i < 3; i++)
{
    baselines.Add(await Baseline.RunAsync(big, Secret, streams, Workers));
}
var baseline = baselines.OrderBy(b => b.Wall).ElementAt(1);
var connectorObjects = ceiling.Objects / ceiling.Wall.TotalSeconds;
var connectorMb = ceiling.DocumentBytes / 1e6 / ceiling.Wall.TotalSeconds;
var baselineObjects = baseline.Objects / baseline.Wall.TotalSeconds;
var baselineMb = baseline.Bytes / 1e6 / baseline.Wall.TotalSeconds;
var ceilingRatio = connectorObjects / baselineObjects;
var scenarioB = $"(b) CPU ceiling {Short(bigTotal)}, no latency, no limit, {Workers} at once";
Row(scenarioB, "objects/s", F0(connectorObjects), $"{F0(baselineObjects)} (HttpClient loop, median of 3)", "", "");
Row(scenarioB, "MB/s (connector: stdout; loop: bodies)", F1(connectorMb), F1(baselineMb), "", "");
Row(scenarioB, "connector ÷ baseline", F2(ceilingRatio), $"{ceiling.Wall.TotalSeconds:F1} s vs {baseline.Wall.TotalSeconds:F1} s", "≥ 0.80", Check(ceilingRatio >= 0.8));
Row(scenarioB, "connector CPU", $"{ceiling.CpuSeconds:F1} s", $"{ceiling.CpuSeconds / ceiling.Wall.TotalSeconds:F2} cores busy", "", "");
Row(scenarioB, "lost objects", ceilingLost.ToString(CultureInfo.InvariantCulture), $"{ceiling.Objects:N0} objects in {ceiling.Documents:N0} documents", "0", Check(ceilingLost == 0));
figures.Add(("ceiling_connector_objects_per_s", F0(connectorObjects)));
figures.Add(("ceiling_baseline_objects_per_s", F0(baselineObjects)));
figures.Add(("ceiling_ratio", F3(ceilingRatio)));
figures.Add(("ceiling_mb_per_s", F1(connectorMb)));
figures.Add(("ceiling_baseline_mb_per_s", F1(baselineMb)));
figures.Add(("ceiling_connector_cpu_s", F1(ceiling.CpuSeconds)));
await big.DisposeAsync();

// ---- (c) memory: the ceiling run above is the big one; the same mix at a tenth of the size here ----
var small = await StripeSimulator.StartAsync(Options(smallTotal));
var smallRun = await ConnectorRun.RunAsync(native, Requests.Open(small.BaseUrl, Secret, startDate, streams, 10_000), streams, captureTimeout);
var smallLost = Lost(small, smallRun);
lost += smallLost;
var growth = (ceiling.PeakRssMb / smallRun.PeakRssMb) - 1;
// The same account under the realistic limit and latency: a run long enough to reach a steady state.
small.RateLimitPerSecond = Limit;
small.Latency = latency;
var smallLimited = await ConnectorRun.RunAsync(native, Requests.Open(small.BaseUrl, Secret, startDate, streams, null), streams, captureTimeout);
small.RateLimitPerSecond = null;
small.Latency = TimeSpan.Zero;
lost += Lost(small, smallLimited);
var limitedGrowth = (realistic.PeakRssMb / smallLimited.PeakRssMb) - 1;
var scenarioC = "(c) memory, peak RSS (VmHWM), no limit";
Row(scenarioC, $"{Short(smallTotal)} objects", $"{smallRun.PeakRssMb:F1} MB", $"{smallRun.Objects / smallRun.Wall.TotalSeconds:F0} objects/s", "≤ 64 MB", Check(smallRun.PeakRssMb <= 64));
Row(scenarioC, $"{Short(bigTotal)} objects", $"{ceiling.PeakRssMb:F1} MB", "", "≤ 64 MB", Check(ceiling.PeakRssMb <= 64));
Row(scenarioC, $"growth {Short(smallTotal)} → {Short(bigTotal)}", $"{growth:P1}", "", "≤ 10%", Check(growth <= 0.10));
Row(scenarioC, $"{Short(smallTotal)} objects, (a)'s limit and latency", $"{smallLimited.PeakRssMb:F1} MB", $"{smallLimited.Wall.TotalSeconds:F1} s", "", "");
Row(scenarioC, $"{Short(bigTotal)} objects, the (a) run", $"{realistic.PeakRssMb:F1} MB", "", "", "");
Row(scenarioC, $"growth {Short(smallTotal)} → {Short(bigTotal)}, limited", $"{limitedGrowth:P1}", "", "", "");
Row(scenarioC, "RSS at 10/50/90% of the documents", $"{RssAlong(ceiling)} MB", $"{Short(bigTotal)}, no limit", "", "");
Row(scenarioC, "", $"{RssAlong(realistic)} MB", $"{Short(bigTotal)}, (a)'s limit and latency", "", "");
Row(scenarioC, "lost objects", smallLost.ToString(CultureInfo.InvariantCulture), $"{smallRun.Objects:N0} objects in {smallRun.Documents:N0} documents", "0", Check(smallLost == 0));
figures.Add(("rss_100k_mb", F1(smallRun.PeakRssMb)));
figures.Add(("rss_1m_mb", F1(ceiling.PeakRssMb)));
figures.Add(("rss_growth", F3(growth)));
figures.Add(("rss_limited_100k_mb", F1(smallLimited.PeakRssMb)));
figures.Add(("rss_limited_1m_mb", F1(realistic.PeakRssMb)));
figures.Add(("rss_limited_growth", F3(limitedGrowth)));

// ---- (d) start-up: spec and discover, native against the same build on the JIT ----
var discover = Requests.Discover(small.BaseUrl, Secret, startDate);
const string Spec = """{"spec":{}}""";
var specNative = await Startup.MedianMsAsync(native, null, Spec, startupRuns);
var specJit = await Startup.MedianMsAsync("dotnet", jit, Spec, startupRuns);
var discoverNative = await Startup.MedianMsAsync(native, null, discover, startupRuns);
var discoverJit = await Startup.MedianMsAsync("dotnet", jit, discover, startupRuns);
await small.DisposeAsync();
var speedup = Math.Min(specJit / specNative, discoverJit / discoverNative);
var scenarioD = $"(d) start-up, median of {startupRuns} runs";
Row(scenarioD, "spec ms", F1(specNative), $"{F1(specJit)} (JIT)", "< 20 ms", Check(specNative < 20));
Row(scenarioD, "discover ms", F1(discoverNative), $"{F1(discoverJit)} (JIT)", "< 20 ms", Check(discoverNative < 20));
Row(scenarioD, "speed-up (smaller of the two)", $"{speedup:F1}×", "", "≥ 5×", Check(speedup >= 5));
figures.Add(("spec_native_ms", F1(specNative)));
figures.Add(("spec_jit_ms", F1(specJit)));
figures.Add(("discover_native_ms", F1(discoverNative)));
figures.Add(("discover_jit_ms", F1(discoverJit)));
figures.Add(("startup_speedup", F1(speedup)));

// ---- (e) binary size ----
var binaryMb = new FileInfo(native).Length / 1024.0 / 1024.0;
Row("(e) binary size", "source-stripe (MiB)", F2(binaryMb), "", "≤ 15 MB", Check(binaryMb <= 15));
figures.Add(("binary_mb", F2(binaryMb)));

// ---- (f) change capture lag: its own small account, changed while the capture runs ----
lost += await ChangeLagScenario.RunAsync(native, Secret, smoke, Row, Check, figures);
return Finish();

int Finish()
{
    figures.Add(("lost", lost.ToString(CultureInfo.InvariantCulture)));
    figures.Add(("bench_seconds", F0(total.Elapsed.TotalSeconds)));
    PrintTable();
    Console.WriteLine(string.Join(' ', figures.Select(f => $"{f.Key}={f.Value}")));
    return lost == 0 ? 0 : 1;
}

SimulatorOptions Options(int objects)
{
    var counts = mix.ToDictionary(m => m.Stream, m => (int)(objects * m.Share));
    counts[mix[0].Stream] += objects - counts.Values.Sum();
    return new SimulatorOptions
    {
        Seed = 42,
        SecretKey = Secret,
        ObjectsPerStream = 0,
        ObjectCounts = counts,
        RecentSkew = 0.8,
    };
}

long Lost(StripeSimulator simulator, CaptureResult run)
{
    long missing = 0;
    foreach (var stream in streams)
    {
        var captured = run.IdsByStream[stream];
        missing += simulator.Account.Objects(stream).Count(o => !captured.Contains(o.Id));
    }
    return missing;
}

static string RssAlong(CaptureResult run) => string.Join(" / ", new[] { 0.1, 0.5, 0.9 }.Select(p => F1(run.RssAt(p))));

string Arg(string name)
{
    var at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : throw new ArgumentException($"usage: source-stripe-bench --native PATH --jit PATH.dll [--smoke] ({name} is missing)");
}

void Row(string scenario, string figure, string value, string baselineValue, string target, string verdict) =>
    rows.Add([scenario, figure, value, baselineValue, target, verdict]);

string Check(bool met) => smoke ? "-" : met ? "PASS" : "MISS";

void PrintTable()
{
    string[] header = ["scenario", "figure", "value", "baseline / detail", "target", "result"];
    var widths = header.Select((h, i) => Math.Max(h.Length, rows.Max(r => r[i].Length))).ToArray();
    Console.WriteLine();
    Console.WriteLine(Line(header));
    Console.WriteLine(string.Join("-+-", widths.Select(w => new string('-', w))));
    string? last = null;
    foreach (var row in rows)
    {
        Console.WriteLine(Line(row[0] == last ? ["", .. row[1..]] : row));
        last = row[0];
    }
    Console.WriteLine();
    string Line(string[] cells) => string.Join(" | ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd();
}

static string Short(int n) => n >= 1_000_000 && n % 1_000_000 == 0 ? $"{n / 1_000_000}M" : n >= 1_000 && n % 1_000 == 0 ? $"{n / 1_000}k" : n.ToString(CultureInfo.InvariantCulture);

static string F0(double v) => v.ToString("F0", CultureInfo.InvariantCulture);

static string F1(double v) => v.ToString("F1", CultureInfo.InvariantCulture);

static string F2(double v) => v.ToString("F2", CultureInfo.InvariantCulture);

static string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);

static string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);
