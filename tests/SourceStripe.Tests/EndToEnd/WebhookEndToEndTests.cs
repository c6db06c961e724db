using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Simulator.Webhooks;
using SourceStripe.Tests.Capture;
using SourceStripe.Webhooks;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>
/// The published binary taking the simulator's webhooks as Flow runs it (checkpoints acknowledged once read):
/// whatever happens to the deliveries, or to the process, every change reaches the collection.
/// </summary>
public sealed class WebhookEndToEndTests
{
    private const string Secret = "whsec_end_to_end_tests_only";

    /// <summary>Half the deliveries never sent: the events polls, slower while webhooks arrive, bring the rest.</summary>
    [Fact]
    public async Task With_half_the_webhooks_dropped_every_change_still_arrives()
    {
        await using var run = await WebhookRun.StartAsync(new WebhookOptions { DropFraction = 0.5, Retry = WebhookRetry.Fast });
        await using var capture = await BinaryCapture.StartAsync(run.Open(interval: "PT1S", withWebhooks: "PT3S"));
        await capture.WaitUntilAsync(t => t.PendingRanges("customers") == 0);

        var changes = Enumerable.Range(0, 20).Select(i => run.Change(i, $"half-{i}")).ToList();
        await capture.WaitUntilAsync(t => changes.All(c => WebhookRun.Committed(t, c)));

        var attempts = run.Stripe.WebhookAttempts.Snapshot().Where(a => a.EventType == "customer.updated").ToList();
        Assert.Contains(attempts, a => a.Outcome == WebhookOutcome.Dropped);
        Assert.Contains(attempts, a => a.Delivered);
        Assert.True(capture.Transcript.ExplicitAcknowledgements);
        Assert.Equal(0, await capture.StopAsync());
    }

    /// <summary>A destination that sends nothing (deleted, or never created): the capture, listening, still polls.</summary>
    [Fact]
    public async Task With_no_webhook_sent_every_change_arrives_by_polling()
    {
        await using var run = await WebhookRun.StartAsync(new WebhookOptions(), destination: false);
        await using var capture = await BinaryCapture.StartAsync(run.Open(interval: "PT1S", withWebhooks: "PT1H"));
        await capture.WaitUntilAsync(t => t.PendingRanges("customers") == 0);

        var changes = Enumerable.Range(0, 10).Select(i => run.Change(i, $"polled-{i}")).ToList();
        await capture.WaitUntilAsync(t => changes.All(c => WebhookRun.Committed(t, c)));

        Assert.Empty(run.Stripe.WebhookAttempts.Snapshot());
        Assert.Equal(0, await capture.StopAsync());
    }

    /// <summary>
    /// Killed between a delivery's receipt and its acknowledgement, at points drawn from a seed: right after the change,
    /// after the change's document, after the checkpoint holding it (not yet acknowledged), after the delivery was
    /// answered. A delivery answered 2xx has its document committed; every change arrives after the restarts.
    /// </summary>
    [Theory]
    [InlineData(3)]
    [InlineData(11)]
    public async Task Killed_between_receipt_and_acknowledgement_every_change_arrives_after_the_restart(int seed)
    {
        const int Kills = 6;
        await using var run = await WebhookRun.StartAsync(new WebhookOptions { Retry = WebhookRetry.Fast });
        var random = new Random(seed);
        JsonNode state = new JsonObject();
        var committed = new List<(int Binding, JsonObject Document)>();
        var changes = new List<Change>();
        var kinds = new HashSet<KillPoint>();
        for (var kill = 0; kill < Kills; kill++)
        {
            var point = (KillPoint)random.Next(4);
            kinds.Add(point);
            var thisRun = new List<Change>();
            // The binding's interval is an hour: within a run, changes come through webhooks only.
            await using var capture = await BinaryCapture.StartAsync(run.Open(interval: "PT1H", withWebhooks: "PT1H", state), state,
                killWhen: t => point switch
                {
                    KillPoint.AfterDocument => Seen(t, thisRun, committedOnly: false),
                    KillPoint.AfterCheckpoint => Seen(t, thisRun, committedOnly: true),
                    _ => false,
                });
            // A restarted capture may have nothing to checkpoint: its listener's line says it is up.
            await capture.WaitUntilAsync(t => kill == 0 ? t.PendingRanges("customers") == 0 : capture.Stderr.Contains("Listening for Stripe's webhooks", StringComparison.Ordinal));
            lock (thisRun)
            {
                thisRun.AddRange(Enumerable.Range(0, random.Next(1, 4)).Select(_ => run.Change(changes.Count + thisRun.Count, $"kill-{kill}-{thisRun.Count}")));
            }
            changes.AddRange(thisRun);
            if (point == KillPoint.AfterChange)
            {
                capture.Kill();
            }
            else if (point == KillPoint.AfterAnswer)
            {
                await run.Stripe.WebhookAttempts.WaitForAsync(a => a.Delivered && thisRun.Any(c => c.EventId == a.EventId), 1, Timeout());
                capture.Kill();
            }
            await capture.WaitForExitAsync(TimeSpan.FromMinutes(2));
            committed.AddRange(capture.Transcript.CommittedDocuments);
            state = capture.Transcript.State;

            // Answered 2xx only once committed: Stripe will not send it again.
            foreach (var answered in run.Stripe.WebhookAttempts.Snapshot().Where(a => a.Delivered))
            {
                var change = changes.FirstOrDefault(c => c.EventId == answered.EventId);
                Assert.True(change is null || committed.Any(d => WebhookRun.Carries(d.Document, change)),
                    $"{answered.EventId} was answered 2xx (point {point}, run {kill}) but its document was never committed");
            }
        }

        await using (var last = await BinaryCapture.StartAsync(run.Open(interval: "PT1H", withWebhooks: "PT1H", state), state))
        {
            await last.WaitUntilAsync(t => changes.All(c => committed.Concat(t.CommittedDocuments).Any(d => WebhookRun.Carries(d.Document, c))));
            committed.AddRange(last.Transcript.CommittedDocuments);
            Assert.Equal(0, await last.StopAsync());
        }
        Assert.All(changes, c => Assert.Contains(committed, d => WebhookRun.Carries(d.Document, c)));
        Assert.True(kinds.Count >= 2, $"the seed drew only {string.Join(", ", kinds)}");
    }

    private enum KillPoint
    {
        AfterChange,
        AfterDocument,
        AfterCheckpoint,
        AfterAnswer,
    }

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token;

    /// <summary>Whether a change of this run has its document in the transcript (only in a committed checkpoint when asked).</summary>
    private static bool Seen(CaptureTranscript t, List<Change> thisRun, bool committedOnly)
    {
        lock (thisRun)
        {
            var documents = committedOnly ? t.CommittedDocuments : t.Documents;
            return thisRun.Any(c => documents.Any(d => WebhookRun.Carries(d.Document, c)));
        }
    }

    private sealed record Change(string CustomerId, string Value, string EventId);

    /// <summary>The simulator's customers, a listener port, and a destination for it (unless told otherwise).</summary>
    private sealed class WebhookRun(StripeSimulator stripe, int port) : IAsyncDisposable
    {
        public StripeSimulator Stripe { get; } = stripe;

        public static async Task<WebhookRun> StartAsync(WebhookOptions webhooks, bool destination = true)
        {
            var port = LoopbackPort.Free();
            var options = new SimulatorOptions
            {
                Seed = 8,
                ObjectsPerStream = 40,
                CreatedFrom = DateTimeOffset.UtcNow.AddDays(-60),
                CreatedTo = DateTimeOffset.UtcNow.AddDays(-40),
                Webhooks = destination
                    ? webhooks with { Destinations = [new WebhookDestination { Url = new Uri($"http://127.0.0.1:{port}/stripe"), Secrets = [Secret] }] }
                    : webhooks,
            };
            return new WebhookRun(await StripeSimulator.StartAsync(options), port);
        }

        public string Open(string interval, string withWebhooks, JsonNode? state = null)
        {
            var request = JsonNode.Parse(OpenRequests.Open(Stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1),
                [new OpenRequests.Binding("customers", "incremental", interval)], state, advanced: new JsonObject
                {
                    ["event_lag_seconds"] = 0,
                    ["webhook_address"] = $"127.0.0.1:{port}",
                    ["events_interval_with_webhooks"] = withWebhooks,
                }))!;
            request["open"]!["capture"]!["config"]!["webhook_signing_secret"] = Secret;
            return request.ToJsonString();
        }

        /// <summary>Sets the <paramref name="index"/>th customer's <c>metadata.changed_by</c>: Stripe emits customer.updated.</summary>
        public Change Change(int index, string value)
        {
            var id = Stripe.Account.Objects("customers")[index].Id;
            Stripe.Update("customers", id, o => o["metadata"] = new JsonObject { ["changed_by"] = value });
            var e = Stripe.Account.Events.Single(e => e.EventType == "customer.updated" && e.ToJsonObject()["data"]!["object"] is JsonObject o && Carries(o, id, value));
            return new Change(id, value, e.Id);
        }

        public static bool Committed(CaptureTranscript t, Change change) => t.CommittedDocuments.Any(d => Carries(d.Document, change));

        public static bool Carries(JsonObject document, Change change) => Carries(document, change.CustomerId, change.Value);

        private static bool Carries(JsonObject document, string id, string value) =>
            document["id"]?.GetValue<string>() == id && document["metadata"]?["changed_by"]?.GetValue<string>() == value;

        public ValueTask DisposeAsync() => Stripe.DisposeAsync();
    }
}
