using System.Diagnostics;
using System.Globalization;
using SourceStripe.Bench;
using SourceStripe.Simulator;

// bench/run's driver: source-stripe-bench --native PATH --jit PATH.dll [--smoke] [--only a,b,c,d,e,f,g,h,s,t,w]. See bench/README.md.
if (args.FirstOrDefault() == "--baseline")
{
    return await Baseline.LoopAsync(args);
}
var smoke = args.Contains("--smoke");
var only = args.Contains("--change-lag") ? ["f"] : args.Contains("--only") ? Arg("--only").Split(',') : null;
var driver = Environment.ProcessPath ?? throw new InvalidOperationException("the driver's own path is unknown");
var native = Path.GetFullPath(Arg("--native"));
var jit = Path.GetFullPath(Arg("--jit"));

const string Secret = "sk_live_bench_00000000000000";
const int Limit = 100;
var bigTotal = smoke ? 4_000 : int.Parse(Environment.GetEnvironmentVariable("BENCH_BIG") ?? "1000000", CultureInfo.InvariantCulture);
var smallTotal = smoke ? 1_000 : 100_000;
var latency = TimeSpan.FromMilliseconds(smoke ? 20 : 250);
var startupRuns = smoke ? 3 : 20;
var captureTimeout = TimeSpan.FromMinutes(smoke ? 2 : 10);
// Stripe-sized objects (payment intents 2.6 KB, charges 3.4 KB, disputes 2.5 KB compact; more indented) beside the
// small ones of a ledger, about 1.5 KB an object on average: a million of them fit in the simulator's memory.
(string Stream, double Share)[] mix =
[
    ("balance_transactions", 0.3), ("payment_intents", 0.25), ("charges", 0.1), ("refunds", 0.1), ("disputes", 0.05),
    ("payouts", 0.05), ("products", 0.05), ("coupons", 0.05), ("promotion_codes", 0.05),
];
var streams = mix.Select(m => m.Stream).ToList();
var startDate = DateTimeOffset.UtcNow.AddDays(-800);
var figures = new List<(string Key, string Value)>();
var rows = new List<string[]>();
var lost = 0L;
var total = Stopwatch.StartNew();

Console.WriteLine($"source-stripe benchmark ({(smoke ? "smoke: tiny sizes, no targets enforced" : "full")}), {Environment.ProcessorCount} CPUs");
if (Runs("b"))
{
    lost += await CpuScenario.RunAsync(native, driver, Secret, smoke, Row, Check, figures);
}
if (!Runs("a") && !Runs("c"))
{
    return await RestAsync();
}

// ---- (a) realistic and (c) memory, on one account of bigTotal objects (generated once) ----
var generation = Stopwatch.StartNew();
var big = await StripeSimulator.StartAsync(Options(bigTotal));
// The simulator stands in for Stripe, which does not stop: one full collection now, not counted, rather than one
// during the run, which stalled the simulator for 2-3 s (its million objects take some 4.8 GB) and then let the
// requests sent meanwhile arrive together.
GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
generation.Stop();
Console.WriteLine($"generated {bigTotal:N0} objects in {generation.Elapsed.TotalSeconds:F1} s (not counted)");
Row("setup", $"generate {Short(bigTotal)} objects (not counted)", $"{generation.Elapsed.TotalSeconds:F1} s", "", "", "");

big.ClearRequests();
big.RateLimits = RateLimits.Stripe;
big.Latency = latency;
var requestsAtDone = Array.Empty<RecordedRequest>() as IReadOnlyList<RecordedRequest>;
var pausedBefore = GC.GetTotalPauseDuration();
var realistic = await ConnectorRun.RunAsync(native, Requests.Open(big.BaseUrl, Secret, startDate, streams, null), streams, captureTimeout,
    () => requestsAtDone = big.Requests);
var throttled = requestsAtDone.Count(r => r.Status == 429);
var accepted = requestsAtDone.Count - throttled;
var realisticLost = Lost(big, realistic);
lost += realisticLost;
var realisticRate = accepted / realistic.Wall.TotalSeconds;
var rateRatio = realisticRate / Limit;
var share429 = requestsAtDone.Count == 0 ? 0 : (double)throttled / requestsAtDone.Count;
var firstRequest = requestsAtDone.Count == 0 ? DateTimeOffset.UtcNow : requestsAtDone.Min(r => r.At);
var steadyRate = RequestRates.Steady(requestsAtDone);
var realisticSeconds = RequestRates.AgainstCeiling(requestsAtDone, Limit, 25, RequestRates.WarmUp);
var seconds429 = requestsAtDone.Where(r => r.Status == 429).Select(r => r.At.ToUnixTimeSeconds()).Distinct().Count();
if (Environment.GetEnvironmentVariable("BENCH_TIMELINE") is { Length: > 0 } timelinePath)
{
    // Per second of the realistic run: requests accepted, requests throttled.
    await File.WriteAllLinesAsync(timelinePath, requestsAtDone.GroupBy(r => (long)(r.At - firstRequest).TotalSeconds).OrderBy(g => g.Key)
        .Select(g => FormattableString.Invariant($"{g.Key} {g.Count(r => r.Status != 429)} {g.Count(r => r.Status == 429)}")));
}
// The simulator shares this process (and its million objects) with the driver: its GC pauses and any stall of the
// machine hold requests back and then let them arrive together, which Stripe would not do. Gaps in the arrivals show them.
var driverPauses = GC.GetTotalPauseDuration() - pausedBefore;
var arrivals = requestsAtDone.Select(r => r.At).Order().ToList();
var gaps = arrivals.Zip(arrivals.Skip(1), (a, b) => (b - a).TotalMilliseconds).Where(g => g >= 100).ToList();
var ideal = realistic.Objects / 10_000.0;
var wallOverIdeal = realistic.Wall.TotalSeconds / ideal;
var realisticObjects = realistic.Objects / realistic.Wall.TotalSeconds;
var scenarioA = $"(a) realistic {Short(bigTotal)}, {latency.TotalMilliseconds:F0} ms median latency, Stripe's two limits ({Limit} req/s, 25 an endpoint)";
var atKeyLimit = realisticSeconds.RatioAtKeyLimit(Limit);
Row(scenarioA, "objects/s", F0(realisticObjects), "10,000 (limit × 100)", "", "");
Row(scenarioA, "accepted requests/s ÷ limit", F3(rateRatio), $"{realisticRate:F1} req/s of {Limit}, whole run", "", "");
Row(scenarioA, "accepted requests ÷ Stripe's ceiling, each second after 15 s", F3(realisticSeconds.Ratio),
    $"{realisticSeconds.Accepted.Sum():N0} of {realisticSeconds.Ceiling.Sum():N0}; ceiling min({Limit}, 25 × endpoints with work)", "≥ 0.95", Check(realisticSeconds.Ratio >= 0.95));
Row(scenarioA, $"the same, seconds whose ceiling is {Limit} (4+ streams with work)", F3(atKeyLimit),
    $"{realisticSeconds.Ceiling.Count(c => c >= Limit)} of {realisticSeconds.Ceiling.Length} s", "≥ 0.95", Check(atKeyLimit >= 0.95));
Row(scenarioA, "accepted requests/s ÷ limit after 15 s", F3(steadyRate / Limit), "to the end, when fewer than 4 streams are left", "", "");
Row(scenarioA, "429s ÷ requests", $"{share429:P2}", $"{throttled} of {requestsAtDone.Count}, in {seconds429} distinct seconds; {ByReason(requestsAtDone)}", "< 1%", Check(share429 < 0.01));
Row(scenarioA, "arrival gaps ≥ 100 ms", gaps.Count.ToString(CultureInfo.InvariantCulture),
    $"longest {(gaps.Count == 0 ? 0 : gaps.Max()):F0} ms, {gaps.Sum() / 1000:F1} s in all; driver+simulator GC paused {driverPauses.TotalSeconds:F1} s", "", "");
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
figures.Add(("realistic_ceiling_ratio", F3(realisticSeconds.Ratio)));
figures.Add(("realistic_key_limit_ratio", F3(atKeyLimit)));
figures.Add(("realistic_arrival_gaps", gaps.Count.ToString(CultureInfo.InvariantCulture)));
figures.Add(("driver_gc_pause_s", F1(driverPauses.TotalSeconds)));

// The same account without limit or latency: memory when the capture runs as fast as the machine allows.
big.RateLimits = null;
big.Latency = TimeSpan.Zero;
var ceiling = await ConnectorRun.RunAsync(native, Requests.Open(big.BaseUrl, Secret, startDate, streams, 10_000), streams, captureTimeout);
lost += Lost(big, ceiling);
await big.DisposeAsync();

// ---- (c) memory: the ceiling run above is the big one; the same mix at a tenth of the size here ----
var small = await StripeSimulator.StartAsync(Options(smallTotal));
var smallRun = await ConnectorRun.RunAsync(native, Requests.Open(small.BaseUrl, Secret, startDate, streams, 10_000), streams, captureTimeout);
var smallLost = Lost(small, smallRun);
lost += smallLost;
var growth = (ceiling.PeakRssMb / smallRun.PeakRssMb) - 1;
// The same account under the realistic limit and latency: a run long enough to reach a steady state.
small.RateLimits = RateLimits.Stripe;
small.Latency = latency;
var smallLimited = await ConnectorRun.RunAsync(native, Requests.Open(small.BaseUrl, Secret, startDate, streams, null), streams, captureTimeout);
small.RateLimits = null;
small.Latency = TimeSpan.Zero;
lost += Lost(small, smallLimited);
// Equal warm-up: the 100k run is over in about 14 s, when the heap, the GC's budgets and the buffer pool are still
// settling; the 1M run is compared over its first as many seconds (both from 100 ms samples of VmRSS), so that the
// figure says whether memory follows the account's size rather than how long a process has run. The whole runs'
// peaks are shown beside it, and the 1M run's own growth after its warm-up in the row after.
var equalWarmUp = smallLimited.Wall;
var smallPeakSampled = smallLimited.PeakRssWithin(equalWarmUp);
var bigPeakAtEqualWarmUp = realistic.PeakRssWithin(equalWarmUp);
var limitedGrowth = (bigPeakAtEqualWarmUp / smallPeakSampled) - 1;
var wholeRunGrowth = (realistic.PeakRssMb / smallLimited.PeakRssMb) - 1;
var scenarioC = $"(c) memory, peak RSS (VmHWM), {latency.TotalMilliseconds:F0} ms latency, {Limit} req/s";
Row(scenarioC, $"{Short(smallTotal)} objects", $"{smallLimited.PeakRssMb:F1} MB", $"{smallLimited.Wall.TotalSeconds:F1} s", "≤ 64 MB", Check(smallLimited.PeakRssMb <= 64));
Row(scenarioC, $"{Short(bigTotal)} objects (the (a) run)", $"{realistic.PeakRssMb:F1} MB", $"at 10/50/90% of the documents: {RssAlong(realistic)} MB", "≤ 64 MB", Check(realistic.PeakRssMb <= 64));
Row(scenarioC, $"growth {Short(smallTotal)} → {Short(bigTotal)} at equal warm-up", $"{limitedGrowth:P1}",
    $"{smallPeakSampled:F1} → {bigPeakAtEqualWarmUp:F1} MB, each over its first {equalWarmUp.TotalSeconds:F0} s", "≤ 10%", Check(limitedGrowth <= 0.10));
Row(scenarioC, $"growth {Short(smallTotal)} → {Short(bigTotal)}, whole runs", $"{wholeRunGrowth:P1}", "peak of each run, however long it ran", "", "");
// The 100k run is over before the heap and the buffer pool reach their working size (about 20 s): the 1M run's peak after
// its first 30 s against its peak at the end says whether memory follows the objects or only the warm-up.
var warmUp = TimeSpan.FromSeconds(smoke ? 2 : 30);
var warmRss = realistic.PeakRssWithin(warmUp);
var warmGrowth = (realistic.PeakRssMb / warmRss) - 1;
Row(scenarioC, $"{Short(bigTotal)} run after its first {warmUp.TotalSeconds:F0} s → its end", $"{warmGrowth:P1}", $"{warmRss:F1} → {realistic.PeakRssMb:F1} MB", "", "");
if (Environment.GetEnvironmentVariable("BENCH_RSS_TIMELINE") is { Length: > 0 } rssPath)
{
    // Per 100 ms sample of the two limited runs: run, sample, documents so far, VmRSS (MB).
    await File.WriteAllLinesAsync(rssPath, new[] { ("1m", realistic), ("100k", smallLimited) }
        .SelectMany(run => run.Item2.RssSamples.Select((s, i) => FormattableString.Invariant($"{run.Item1} {i} {s.Objects} {s.RssMb:F1}"))));
}
figures.Add(("rss_100k_mb", F1(smallRun.PeakRssMb)));
figures.Add(("rss_1m_mb", F1(ceiling.PeakRssMb)));
figures.Add(("rss_growth", F3(growth)));
figures.Add(("rss_limited_100k_mb", F1(smallLimited.PeakRssMb)));
figures.Add(("rss_limited_1m_mb", F1(realistic.PeakRssMb)));
figures.Add(("rss_limited_growth", F3(limitedGrowth)));
figures.Add(("rss_limited_whole_run_growth", F3(wholeRunGrowth)));
figures.Add(("rss_limited_warm_growth", F3(warmGrowth)));

await small.DisposeAsync();
return await RestAsync();

async Task<int> RestAsync()
{
    if (Runs("d"))
    {
        await StartupScenario();
    }
    if (Runs("e"))
    {
        var binaryMb = new FileInfo(native).Length / 1024.0 / 1024.0;
        Row("(e) binary size", "source-stripe (MiB)", F2(binaryMb), "", "≤ 15 MB", Check(binaryMb <= 15));
        figures.Add(("binary_mb", F2(binaryMb)));
    }
    if (Runs("s"))
    {
        // (s) an account whose history is mostly charges, under Stripe's two limits.
        lost += await LimitsScenario.SkewedAsync(native, Secret, smoke, Row, Check, figures);
    }
    if (Runs("t"))
    {
        // (t) a test key: 25 requests a second over every endpoint.
        lost += await LimitsScenario.TestKeyAsync(native, smoke, mix, Row, Check, figures);
    }
    if (Runs("g"))
    {
        // (g) a Connect platform: many small connected accounts and a large one, sharing the key's limit.
        lost += await ConnectedScenario.RunAsync(native, Secret, smoke, mix, Row, Check, figures);
    }
    if (Runs("h"))
    {
        // (h) a platform of 100,000 connected accounts on one shard.
        lost += await PlatformScenario.RunAsync(native, Secret, smoke, Row, Check, figures);
    }
    if (Runs("f"))
    {
        // (f) change capture lag: its own small account, changed while the capture runs.
        lost += await ChangeLagScenario.RunAsync(native, Secret, smoke, Row, Check, figures);
    }
    if (Runs("w"))
    {
        // (w) webhooks: each change's latency with Stripe pushing its events, beside the same load polled.
        lost += await WebhookScenario.RunAsync(native, Secret, smoke, Row, Check, figures);
    }
    return Finish();
}

bool Runs(string scenario) => only is null || only.Contains(scenario);

async Task StartupScenario()
{
    // ---- (d) start-up: spec and discover, native against the same build on the JIT ----
    await using var account = await StripeSimulator.StartAsync(Options(1_000));
    var discover = Requests.Discover(account.BaseUrl, Secret, startDate);
    const string Spec = """{"spec":{}}""";
    var specNative = await Startup.MedianMsAsync(native, null, Spec, startupRuns);
    var specJit = await Startup.MedianMsAsync("dotnet", jit, Spec, startupRuns);
    var discoverNative = await Startup.MedianMsAsync(native, null, discover, startupRuns);
    var discoverJit = await Startup.MedianMsAsync("dotnet", jit, discover, startupRuns);
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
}

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
        // Each run sets the limits it measures under; the start-up scenario and the runs without them set none.
        RateLimits = null,
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

static string ByReason(IReadOnlyList<RecordedRequest> requests) => LimitsScenario.ByReason(requests);

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
