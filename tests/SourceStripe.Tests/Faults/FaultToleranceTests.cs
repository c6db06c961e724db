using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Streams;
using SourceStripe.Tests.Capture;
using SourceStripe.Tests.EndToEnd;

namespace SourceStripe.Tests.Faults;

/// <summary>Whatever Stripe or the network throws, the capture keeps going or stops with one clear sentence.</summary>
public sealed class FaultToleranceTests
{
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddYears(-3);

    /// <summary>Short timeouts so that a slow answer counts as a timeout within the test's time.</summary>
    private static readonly JsonObject QuickTimeouts = new() { ["request_timeout_seconds"] = 1, ["event_lag_seconds"] = 0 };

    private static bool AllBackfilled(CaptureTranscript t) => StreamCatalog.All.All(s => t.PendingRanges(s.Name) == 0);

    [Fact]
    public async Task A_capture_with_a_tenth_of_requests_faulted_yields_exactly_the_fault_free_documents()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 21, ObjectsPerStream = 130 });
        // Every kind at least once, then one request in ten at random.
        foreach (var fault in Fault.EveryKind(TimeSpan.FromSeconds(2)))
        {
            stripe.InjectFault(fault);
        }
        stripe.InjectRandomFaults(0.1, Fault.EveryKind(TimeSpan.FromSeconds(2)), seed: 4);

        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, OpenRequests.AllStreams(), advanced: QuickTimeouts);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(AllBackfilled, TimeSpan.FromMinutes(3));
        Assert.Equal(0, await capture.StopAsync());

        var requests = stripe.Requests;
        Assert.True(stripe.RandomFaults >= requests.Count / 20, $"{stripe.RandomFaults} random faults in {requests.Count} requests");
        Assert.Contains(requests, r => r.Status == 0);
        Assert.Contains(requests, r => r.Status is 502 or 503 or 504);
        for (var i = 0; i < StreamCatalog.All.Length; i++)
        {
            var stream = StreamCatalog.All[i].Name;
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, stream), ExpectedDocuments.Captured(capture.Transcript.Documents, i), stream);
        }
    }

    [Fact]
    public async Task A_key_revoked_mid_capture_ends_it_with_the_401_sentence_after_a_last_checkpoint()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 400 });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new("charges"), new("customers"), new("invoice_line_items")]);
        await using var capture = await BinaryCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => t.Checkpoints >= 3);
        stripe.RevokeKey();
        await capture.WaitForExitAsync(TimeSpan.FromMinutes(2));

        var lastLog = capture.Stderr.Trim().Split('\n')[^1];
        Assert.Contains("Stripe rejected the secret key (401)", JsonNode.Parse(lastLog)!["msg"]!.GetValue<string>());
        Assert.True(capture.Transcript.Documents.Count == capture.Transcript.CommittedDocuments.Count,
            $"{capture.Transcript.Documents.Count} documents, {capture.Transcript.CommittedDocuments.Count} of them before the last checkpoint; stderr:\n{capture.Stderr}");
        // Every document written is one of the account's.
        foreach (var (binding, document) in capture.Transcript.Documents)
        {
            var stream = new[] { "charges", "customers", "invoice_line_items" }[binding];
            Assert.Contains(document["id"]!.GetValue<string>(), ExpectedDocuments.For(stripe, stream).Keys);
        }
        Assert.Equal(1, await ExitCodeAsync(capture));
    }

    [Fact]
    public async Task A_400_is_not_retried_and_fails_with_stripes_message_and_the_path()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 20 });
        stripe.InjectFault(new Fault(FaultKind.JsonError, 400) { PathPrefix = "/v1/payouts", Code = "parameter_invalid" });
        var run = await RunUntilExitAsync(stripe, [new("payouts"), new("coupons")]);
        Assert.Equal(1, run.Exit);
        Assert.Contains("Capturing payouts failed: Stripe answered 400 for GET /v1/payouts", run.LastMessage);
        AssertNotRetried(stripe, 400);
    }

    [Fact]
    public async Task A_403_on_a_stream_fails_the_capture_naming_the_stream()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 20, ForbiddenStreams = new HashSet<string> { "disputes" } });
        var run = await RunUntilExitAsync(stripe, [new("disputes"), new("coupons")]);
        Assert.Equal(1, run.Exit);
        Assert.StartsWith("The key lacks read access to disputes (Stripe answered 403", run.LastMessage);
        AssertNotRetried(stripe, 403);
    }

    [Fact]
    public async Task Retries_stop_after_the_retry_budget_with_the_last_failure_named()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 20 });
        stripe.InjectFault(Fault.GatewayHtml(503, times: 10_000) with { PathPrefix = "/v1/transfers" });
        var run = await RunUntilExitAsync(stripe, [new("transfers")], new JsonObject { ["max_retry_seconds"] = 3, ["request_timeout_seconds"] = 1 });
        Assert.Equal(1, run.Exit);
        Assert.Contains("Capturing transfers failed: Stripe was unavailable: GET /v1/transfers kept failing for 3 s of retries; the last attempt: Stripe answered 503", run.LastMessage);
        Assert.InRange(stripe.Requests.Count(r => r.Path == "/v1/transfers"), 2, 12);
    }

    [Fact]
    public async Task The_children_of_a_parent_deleted_meanwhile_are_skipped_and_the_rest_captured()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 30 });
        var invoice = stripe.Account.Objects("invoices").First(i => stripe.Account.Children("invoice_line_items", i.Id).Count > 10).Id;
        stripe.InjectFault(new Fault(FaultKind.JsonError, 404) { PathPrefix = $"/v1/invoices/{invoice}/lines", Code = "resource_missing" });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new("invoice_line_items")]);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => t.PendingRanges("invoice_line_items") == 0);
        Assert.Equal(0, await capture.StopAsync());

        var expected = ExpectedDocuments.For(stripe, "invoice_line_items");
        var captured = ExpectedDocuments.Captured(capture.Transcript.Documents, 0);
        var skipped = expected.Keys.Except(captured.Keys).ToList();
        // Only the lines past the invoice's embedded first page are missing.
        Assert.Equal(stripe.Account.Children("invoice_line_items", invoice).Skip(10).Select(c => c.Id).Order(), skipped.Order());
    }

    [Fact]
    public async Task A_machine_clock_running_ahead_of_stripes_loses_no_new_object()
    {
        // This machine's clock runs 10 minutes ahead of Stripe's.
        var ahead = new MovableClock(DateTimeOffset.UtcNow.AddMinutes(10));
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 15 });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new("coupons", Interval: "PT1S")]);
        await using var capture = await InProcessCapture.StartAsync(open, ahead, listLag: TimeSpan.FromSeconds(2));
        await capture.WaitUntilAsync(t => t.PendingRanges("coupons") == 0);
        var created = stripe.Create("coupons", c => c["name"] = "After the backfill")["id"]!.GetValue<string>();
        await capture.WaitUntilAsync(t => t.Documents.Any(d => d.Document["id"]!.GetValue<string>() == created), TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
    }

    private static async Task<(int Exit, string LastMessage)> RunUntilExitAsync(StripeSimulator stripe, OpenRequests.Binding[] bindings, JsonObject? advanced = null)
    {
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, bindings, advanced: advanced);
        await using var capture = await BinaryCapture.StartAsync(open);
        await capture.WaitForExitAsync(TimeSpan.FromMinutes(3));
        var last = JsonNode.Parse(capture.Stderr.Trim().Split('\n')[^1])!;
        Assert.Equal("error", last["level"]!.GetValue<string>());
        return (await ExitCodeAsync(capture), last["msg"]!.GetValue<string>());
    }

    private static Task<int> ExitCodeAsync(BinaryCapture capture) => Task.FromResult(capture.ExitCode);

    private static void AssertNotRetried(StripeSimulator stripe, int status)
    {
        var failed = stripe.Requests.Where(r => r.Status == status).ToList();
        Assert.NotEmpty(failed);
        Assert.All(failed, f => Assert.Single(stripe.Requests, r => r.Path == f.Path && r.QueryString == f.QueryString));
    }
}
