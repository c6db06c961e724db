using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Tests.EndToEnd;
using static SourceStripe.Tests.Faults.FaultRequests;

namespace SourceStripe.Tests.Faults;

/// <summary>
/// Nothing but protocol lines ever reaches stdout, whatever happens: each unary request, bad input, a
/// capture that ends normally, with a 401, with an unexpected failure, or by SIGKILL. Every complete
/// stdout line is one protocol message; only a killed capture may leave a cut line, and only at the very
/// end. stderr holds only Flow JSON log lines.
/// </summary>
public sealed class StdoutDisciplineTests
{
    /// <summary>What one run wrote; <see cref="Killed"/> runs may end stdout (and stderr) mid-line.</summary>
    private sealed record Output(int? Exit, byte[] Stdout, string Stderr, bool Killed = false);

    private static readonly Dictionary<string, Func<Task<Output>>> Scenarios = new()
    {
        ["spec"] = () => Unary(Spec(), 0),
        ["discover"] = () => Unary(Discover(Endpoint()), 0),
        ["validate"] = ValidateAsync,
        ["apply"] = () => Unary(Apply(Endpoint(), Resource("charges")), 0),
        ["bad input: malformed JSON"] = () => Unary("{\"spec\":", 1),
        ["bad input: unknown request"] = () => Unary("{\"frobnicate\":{}}", 1),
        ["bad input: empty stdin"] = () => Unary("", 1),
        ["bad input: config error"] = () => Unary(Discover(Endpoint(edit: c => c["start_date"] = "soon")), 1),
        ["bad input: binding error"] = () => Unary(Validate(Endpoint(), Resource("events", "full_refresh")), 1),
        ["bad input: open with bad state"] = () => Unary(Open(Endpoint(), new JsonObject { ["version"] = 2, ["pending"] = 5 }, Resource("charges")), 1),
        ["bad input: open without capture"] = () => Unary(Open(capture: null, new JsonObject()), 1),
        ["bad input: non-UTF-8 bytes"] = NonUtf8Async,
        ["capture stopped by closing stdin"] = CaptureStoppedAsync,
        ["capture ending with a 401"] = RevokedCaptureAsync,
        ["capture failing on a 200 that is [] until max_retry_seconds runs out"] = () => NotAListCaptureAsync("[]"),
        ["capture failing on a 200 that is {\"data\": 5} until max_retry_seconds runs out"] = () => NotAListCaptureAsync("{\"data\": 5}"),
        ["capture killed with SIGKILL mid-way"] = KilledCaptureAsync,
    };

    public static TheoryData<string> Runs()
    {
        var runs = new TheoryData<string>();
        foreach (var name in Scenarios.Keys)
        {
            runs.Add(name);
        }
        return runs;
    }

    [Theory]
    [MemberData(nameof(Runs))]
    public async Task Stdout_carries_protocol_lines_only(string scenario)
    {
        var output = await Scenarios[scenario]();
        var messages = StreamChecks.AssertProtocolOnly(output.Stdout, cutAtTheEnd: output.Killed);
        if (!output.Killed)
        {
            StreamChecks.AssertLogLines(output.Stderr);
        }
        if (output.Exit is not 0 and not null && messages.Count > 0)
        {
            // A failing run answers nothing but a capture's own stream (opened, documents, checkpoints).
            Assert.Equal("opened", messages[0].First().Key);
        }
    }

    private static async Task<Output> Unary(string request, int exit)
    {
        var run = await PublishedConnector.RunAsync(request);
        return Checked(run, exit);
    }

    private static Output Checked(ConnectorRun run, int exit)
    {
        Assert.True(run.ExitCode == exit, $"exit {run.ExitCode}, expected {exit}:\n{StreamChecks.Shorten(run.Stderr)}");
        var lines = run.StdoutLines;
        // Unary: one response on success, nothing on failure.
        Assert.Equal(exit == 0 ? 1 : 0, lines.Count);
        if (exit != 0)
        {
            StreamChecks.AssertFinalError(run.Stderr);
        }
        return new Output(run.ExitCode, run.StdoutBytes, run.Stderr);
    }

    private static async Task<Output> ValidateAsync()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 3 });
        var run = await PublishedConnector.RunAsync(Validate(Endpoint(baseUrl: stripe.BaseUrl), Resource("charges"), Resource("subscription_items", "full_refresh")));
        return Checked(run, 0);
    }

    private static async Task<Output> NonUtf8Async()
    {
        var run = await ConnectorProcess.RunAsync([.. "{\"spec\":{\"connectorType\":\""u8, 0xC3, 0x28, .. "\"}}\n"u8]);
        return Checked(run, 1);
    }

    private static async Task<Output> CaptureStoppedAsync()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 5 });
        await using var connector = await ConnectorProcess.StartAsync(
            Open(Endpoint(baseUrl: stripe.BaseUrl), new JsonObject(), Resource("charges"), Resource("invoices"), Resource("invoice_line_items", "full_refresh"), Resource("events")));
        await connector.WaitForStdoutAsync(s => s.Contains("\"captured\"") && s.Contains("\"checkpoint\""));
        connector.CloseStdin();
        var exit = await connector.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.True(exit == 0, connector.Stderr);
        return new Output(exit, connector.StdoutBytes, connector.Stderr);
    }

    private static async Task<Output> RevokedCaptureAsync()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 5 });
        await using var connector = await ConnectorProcess.StartAsync(
            Open(Endpoint(baseUrl: stripe.BaseUrl), new JsonObject(), Resource("charges", interval: "PT1S"), Resource("customers", interval: "PT1S")));
        await connector.WaitForStdoutAsync(s => s.Contains("\"checkpoint\""));
        stripe.RevokeKey();
        var exit = await connector.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, exit);
        Assert.Contains("Stripe rejected the secret key (401)", StreamChecks.AssertFinalError(connector.Stderr));
        return new Output(exit, connector.StdoutBytes, connector.Stderr);
    }

    private static async Task<Output> NotAListCaptureAsync(string body)
    {
        using var server = new FixedBodyServer(body);
        await using var connector = await ConnectorProcess.StartAsync(
            Open(Endpoint(baseUrl: server.BaseUrl, edit: c => c["advanced"]!["max_retry_seconds"] = 2), new JsonObject(), Resource("charges")));
        // stdin stays open: the capture must end on its own, with an error.
        var exit = await connector.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.Equal(1, exit);
        Assert.True(server.Requests > 1, "the connector did not retry");
        var message = StreamChecks.AssertFinalError(connector.Stderr);
        Assert.StartsWith("Capturing charges failed: Stripe was unavailable: GET /v1/charges kept failing for 2 s of retries; the last attempt: ", message);
        Assert.DoesNotContain("\"captured\"", connector.Stdout);
        return new Output(exit, connector.StdoutBytes, connector.Stderr);
    }

    private static async Task<Output> KilledCaptureAsync()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 20 });
        await using var connector = await ConnectorProcess.StartAsync(
            Open(Endpoint(baseUrl: stripe.BaseUrl), new JsonObject(),
                Resource("charges"), Resource("customers"), Resource("invoices"), Resource("invoice_line_items", "full_refresh"),
                Resource("subscriptions"), Resource("subscription_items", "full_refresh"), Resource("payment_intents"), Resource("events")));
        // Mid-way: as soon as documents flow, while other bindings are still writing.
        await connector.WaitForStdoutAsync(s => s.Contains("\"captured\""));
        connector.Kill();
        await connector.WaitForExitAsync(TimeSpan.FromMinutes(2));
        Assert.Contains("\"opened\"", connector.Stdout);
        return new Output(null, connector.StdoutBytes, connector.Stderr, Killed: true);
    }
}
