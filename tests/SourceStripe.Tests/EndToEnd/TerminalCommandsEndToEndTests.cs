using System.Diagnostics;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Streams;
using SourceStripe.Tests.Capture;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>The published binary's terminal commands, run as a person runs them, against the simulator.</summary>
public sealed class TerminalCommandsEndToEndTests : IDisposable
{
    private const string Secret = "sk_live_simulator";

    private readonly string _folder = Directory.CreateTempSubdirectory("source-stripe-cli-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string PathOf(string name) => Path.Combine(_folder, name);

    /// <summary>A flow.yaml as a user writes it, its one capture pointed at the simulator.</summary>
    private string FlowYaml(Uri baseUrl, DateTimeOffset? start = null)
    {
        var path = PathOf("flow.yaml");
        File.WriteAllText(path, $"""
            captures:
              acmeCo/stripe:
                endpoint:
                  connector:
                    image: ghcr.io/estuary/source-stripe:v1
                    config:
                      account_id: acct_simulator
                      client_secret: {Secret}
                      start_date: "{(start ?? DateTimeOffset.UtcNow.AddYears(-3)):yyyy-MM-ddTHH:mm:ssZ}"
                      advanced:
                        base_url: {baseUrl}
                bindings: []
            """);
        return path;
    }

    private static Task<ConnectorRun> RunAsync(params string[] args) => PublishedConnector.RunAsync("", args, timeout: TimeSpan.FromMinutes(5));

    /// <summary>The documents of one stream in an --output file, last version of each id.</summary>
    private static Dictionary<string, JsonObject> Output(string path, string stream) =>
        File.ReadLines(path).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(l => l["stream"]!.GetValue<string>() == stream)
            .GroupBy(l => l["doc"]!["id"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Last()["doc"]!.AsObject());

    [Fact]
    public async Task Spec_and_discover_print_exactly_what_protocol_mode_answers()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1 });
        var flowYaml = FlowYaml(stripe.BaseUrl);

        var spec = await RunAsync("spec");
        var protocolSpec = await PublishedConnector.RunAsync("{\"spec\":{\"connectorType\":\"IMAGE\"}}\n");
        Assert.Equal(0, spec.ExitCode);
        Assert.Equal(protocolSpec.Stdout, spec.Stdout);

        var discover = await RunAsync("discover", "--config", flowYaml);
        var protocolDiscover = await PublishedConnector.RunAsync(
            """{"discover":{"connectorType":"IMAGE","config":{"account_id":"acct_simulator","client_secret":""" + $"\"{Secret}\"" + ""","start_date":"2024-01-01T00:00:00Z"}}}""" + "\n");
        Assert.Equal(0, discover.ExitCode);
        Assert.Equal(protocolDiscover.Stdout, discover.Stdout);
        Assert.Equal(StreamCatalog.All.Length, JsonNode.Parse(discover.Stdout)!["discovered"]!["bindings"]!.AsArray().Count);

        var validate = await RunAsync("validate", "--config", flowYaml, "--streams", "charges,bank_accounts");
        Assert.Equal(0, validate.ExitCode);
        Assert.Contains("the key can read all 2 bound streams", validate.Stderr);
        Assert.DoesNotContain(Secret, validate.Stdout + validate.Stderr);
    }

    [Fact]
    public async Task Capture_writes_every_document_and_the_state_then_a_second_run_resumes_from_the_state()
    {
        var clock = new MovableClock(DateTimeOffset.UtcNow);
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 31, ObjectsPerStream = 40, Clock = clock.GetUtcNow });
        var flowYaml = FlowYaml(stripe.BaseUrl);
        string[] capture = ["capture", "--config", flowYaml, "--state", PathOf("state.json"), "--output", PathOf("out.jsonl")];

        var first = await RunAsync(capture);
        Assert.True(first.ExitCode == 0, first.Stderr);
        foreach (var stream in StreamCatalog.EveryAccount)
        {
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, stream.Name), Output(PathOf("out.jsonl"), stream.Name), stream.Name);
            // The summary table has a row for every stream, caught up.
            Assert.Matches($@"(?m)^{stream.Name} +[\d,]+ +[\d,]+ +[\d,]+  caught up$", first.Stderr);
        }
        Assert.Contains($"48 of 48 streams caught up", first.Stderr);
        var saved = CaptureTranscript.Read(JsonNode.Parse(File.ReadAllText(PathOf("state.json"))));
        Assert.Equal(StreamCatalog.EveryAccount.Select(s => s.Name).Order(), saved.Bindings.Select(c => c!.StateKey).Order());
        Assert.All(saved.Bindings, c => Assert.False(saved.ProgressOf(c!.StateKey).Single().State.HasPending, c!.StateKey));
        Assert.DoesNotContain(Secret, first.Stdout + first.Stderr + File.ReadAllText(PathOf("state.json")));

        // A change after the first run reaches the second through Stripe's events, from the saved state.
        var charge = stripe.Account.Objects("charges").First().Id;
        stripe.Update("charges", charge, c => c["description"] = "changed after the first run");
        clock.MoveTo(clock.GetUtcNow().AddMinutes(10));
        var lines = File.ReadLines(PathOf("out.jsonl")).Count();
        var second = await RunAsync(capture);
        Assert.True(second.ExitCode == 0, second.Stderr);
        var added = File.ReadLines(PathOf("out.jsonl")).Skip(lines).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Contains(added, l => l["stream"]!.GetValue<string>() == "charges" && l["doc"]!["id"]!.GetValue<string>() == charge
            && l["doc"]!["description"]?.GetValue<string>() == "changed after the first run");
        // Incremental streams resume: only the changed charge and its event are new. Full-refresh streams
        // (the child lists) take another whole pass, as each run of them does.
        var addedByStream = added.GroupBy(l => l["stream"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());
        foreach (var stream in StreamCatalog.All.Where(s => s.DefaultSyncMode == SyncMode.Incremental))
        {
            Assert.True(addedByStream.GetValueOrDefault(stream.Name) == (stream.Name is "charges" or "events" ? 1 : 0),
                $"the second run captured {addedByStream.GetValueOrDefault(stream.Name)} documents of {stream.Name}");
        }
    }

    /// <summary>The complete lines of a file another process may be writing.</summary>
    private static int Lines(string path)
    {
        if (!File.Exists(path))
        {
            return 0;
        }
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var count = 0;
        var buffer = new byte[64 * 1024];
        for (int read; (read = file.Read(buffer)) > 0;)
        {
            count += buffer.AsSpan(0, read).Count((byte)'\n');
        }
        return count;
    }

    [Fact]
    public async Task A_capture_killed_at_any_point_and_run_again_with_its_state_file_loses_no_document()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 32, ObjectsPerStream = 400, Latency = TimeSpan.FromMilliseconds(5) });
        var flowYaml = FlowYaml(stripe.BaseUrl);
        string[] capture = ["capture", "--config", flowYaml, "--state", PathOf("state.json"), "--output", PathOf("out.jsonl")];
        var random = new Random(7);
        for (var kill = 0; kill < 4; kill++)
        {
            using var process = Process.Start(await PublishedConnector.StartInfoAsync(capture))!;
            process.StandardInput.Close();
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            // Killed once this run has written documents past a random count (or has finished): a point in
            // the capture, not a point in time, which a loaded machine would reach before anything happened.
            var target = Lines(PathOf("out.jsonl")) + random.Next(1, 2000);
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (Lines(PathOf("out.jsonl")) < target && !process.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20);
            }
            process.Kill();
            await process.WaitForExitAsync();
        }
        var last = await RunAsync(capture);
        Assert.True(last.ExitCode == 0, last.Stderr);
        foreach (var stream in StreamCatalog.EveryAccount)
        {
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, stream.Name), Output(PathOf("out.jsonl"), stream.Name), stream.Name);
        }
    }

    [Fact]
    public async Task The_demo_captures_every_object_of_its_account_in_under_a_minute()
    {
        var watch = Stopwatch.StartNew();
        var demo = await PublishedConnector.RunAsync("", ["capture", "--demo", "--output", PathOf("demo.jsonl")], timeout: TimeSpan.FromSeconds(60));
        Assert.True(demo.ExitCode == 0, demo.Stderr);
        Assert.True(watch.Elapsed < TimeSpan.FromMinutes(1), $"the demo took {watch.Elapsed}");
        Assert.Contains("60 of 60 streams caught up", demo.Stderr);
        var objects = int.Parse(System.Text.RegularExpressions.Regex.Match(demo.Stderr, @"Every one of the account's ([\d,]+) objects was captured").Groups[1].Value,
            System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture);
        // The binary's own check, repeated from its output: distinct ids per stream add up to the account.
        var ids = File.ReadLines(PathOf("demo.jsonl")).Select(l => JsonNode.Parse(l)!)
            .Select(l => (l["stream"]!.GetValue<string>(), l["doc"]!["id"]!.GetValue<string>())).Distinct().Count();
        Assert.Equal(objects, ids);
        Assert.True(objects > 5000, $"the demo account holds only {objects} objects");
        Assert.Equal(StreamCatalog.All.Select(s => s.Name).Order(),
            File.ReadLines(PathOf("demo.jsonl")).Select(l => JsonNode.Parse(l)!["stream"]!.GetValue<string>()).Distinct().Order());

        var one = await RunAsync("capture", "--demo", "--streams", "charges");
        Assert.True(one.ExitCode == 0, one.Stderr);
        Assert.Contains("1 of 1 streams caught up", one.Stderr);
    }

    [Fact]
    public async Task The_demo_with_connected_accounts_captures_the_platform_and_every_connected_account()
    {
        var demo = await RunAsync("capture", "--demo", "--connected-accounts", "4", "--streams", "customers,invoices,invoice_line_items,accounts", "--output", PathOf("connected.jsonl"));
        Assert.True(demo.ExitCode == 0, demo.Stderr);
        Assert.Contains("its 4 connected accounts", demo.Stderr);
        Assert.Contains("Every one of the account's", demo.Stderr);
        var accounts = File.ReadLines(PathOf("connected.jsonl")).Select(l => JsonNode.Parse(l)!["doc"]!["account_id"]!.GetValue<string>()).Distinct().ToList();
        Assert.Equal(5, accounts.Count);
    }

    [Fact]
    public async Task Ctrl_c_saves_the_state_prints_the_summary_and_exits_130_and_follow_exits_0()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 33, ObjectsPerStream = 100 });
        // Every request for charges is held an hour, its retries too (for longer than the default 600 s of
        // max_retry_seconds): the capture cannot finish before the signal, however slow or fast the machine.
        stripe.InjectFault(Fault.Slow(TimeSpan.FromHours(1), times: int.MaxValue) with { PathPrefix = "/v1/charges" });
        var flowYaml = FlowYaml(stripe.BaseUrl);
        foreach (var follow in new[] { false, true })
        {
            var statePath = PathOf($"state-{follow}.json");
            string[] args = ["capture", "--config", flowYaml, "--state", statePath, "--output", PathOf($"out-{follow}.jsonl"), .. follow ? new[] { "--follow" } : []];
            using var process = ChildProcess.StartInterruptible(await PublishedConnector.StartInfoAsync(args));
            process.StandardInput.Close();
            var stderr = process.StandardError.ReadToEndAsync();
            // The signal goes once the capture has saved state, so there is state to save again; the deadline
            // only guards against a hang.
            var deadline = DateTime.UtcNow.AddMinutes(3);
            while (!File.Exists(statePath) && !process.HasExited && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.True(File.Exists(statePath), $"no state file within 3 minutes (exited: {process.HasExited})");
            await ChildProcess.InterruptAsync(process);
            // Only a guard against a hang: the held request must not keep the capture from stopping.
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill();
                Assert.Fail($"still running 2 minutes after SIGINT (--follow: {follow}); its stderr:\n{await stderr}");
            }
            var log = await stderr;
            Assert.True(process.ExitCode == (follow ? 0 : 130), $"exit {process.ExitCode}: {log}");
            Assert.Contains($"State saved to {statePath}", log);
            Assert.Matches(@"(?m)^total +[\d,]+ ", log);
            // The state names every stream, and what it says is done is in the output.
            Assert.Equal(StreamCatalog.EveryAccount.Length, CaptureTranscript.Read(JsonNode.Parse(File.ReadAllText(statePath))).Bindings.Count);
        }
    }

    [Theory]
    [InlineData(new[] { "capture" }, "--config FILE or --demo is required")]
    [InlineData(new[] { "capture", "--demo", "--config", "x.yaml" }, "--config and --demo: pick one")]
    [InlineData(new[] { "capture", "--config", "FLOW", "--connected-accounts", "4" }, "--connected-accounts goes with --demo; for a real platform set capture_connected_accounts: true in the config")]
    [InlineData(new[] { "capture", "--demo", "--connected-accounts", "-1" }, "--connected-accounts: expected a whole number from 0 to 20000, got -1")]
    [InlineData(new[] { "capture", "--config", "FLOW", "--streams", "charges,nope" }, "--streams: unknown stream 'nope'; expected a comma-separated list of: accounts, application_fees")]
    [InlineData(new[] { "discover", "--config", "MISSING" }, "cannot read the file")]
    [InlineData(new[] { "validate", "--config", "EMPTY" }, "config.client_secret: missing: expected a Stripe secret key")]
    [InlineData(new[] { "capture", "--config", "FLOW", "--state", "BADSTATE" }, "--state BADSTATE: version: expected state written by this connector")]
    [InlineData(new[] { "capture", "--config", "FLOW", "--state", "/nonexistent/folder/state.json" }, "--state /nonexistent/folder/state.json: its folder does not exist")]
    [InlineData(new[] { "capture", "--config", "FLOW", "--output", "/nonexistent/folder/out.jsonl" }, "--output /nonexistent/folder/out.jsonl: cannot open it for writing")]
    [InlineData(new[] { "frobnicate" }, "Unrecognized command or argument 'frobnicate'")]
    public async Task Bad_input_ends_in_one_message_naming_what_is_wrong_and_exit_1(string[] args, string expected)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1 });
        var flowYaml = FlowYaml(stripe.BaseUrl);
        File.WriteAllText(PathOf("empty.yaml"), "account_id: acct_simulator\n");
        File.WriteAllText(PathOf("state.json"), """{"somethingElse":{}}""");
        string Resolve(string a) => a switch
        {
            "FLOW" => flowYaml,
            "MISSING" => PathOf("missing.yaml"),
            "EMPTY" => PathOf("empty.yaml"),
            "BADSTATE" => PathOf("state.json"),
            _ => a,
        };
        var run = await RunAsync([.. args.Select(Resolve)]);
        Assert.Equal(1, run.ExitCode);
        Assert.Contains(expected.Replace("BADSTATE", PathOf("state.json"), StringComparison.Ordinal), run.Stderr);
        Assert.DoesNotContain("   at ", run.Stderr);
        Assert.Empty(run.Stdout);
    }
}
