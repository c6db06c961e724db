using System.Text.Json.Nodes;
using SourceStripe.Capture.Events;
using SourceStripe.Simulator;
using SourceStripe.Webhooks;

namespace SourceStripe.Tests.Capture.Webhooks;

/// <summary>
/// A capture of the simulator's customers with a webhook signing secret, run in this process, with its inbox at
/// hand: the tests deliver the simulator's own events to it as the listener would, and acknowledge checkpoints as
/// Flow's runtime does.
/// </summary>
public sealed class WebhookCapture : IAsyncDisposable
{
    /// <summary>A made-up secret: nothing here checks signatures, the capture only learns that webhooks are on.</summary>
    public const string Secret = "whsec_inbox_tests_only";

    private long _acknowledged;

    private WebhookCapture(StripeSimulator stripe, InProcessCapture capture, WebhookInbox inbox)
    {
        Stripe = stripe;
        Capture = capture;
        Inbox = inbox;
    }

    public StripeSimulator Stripe { get; }

    public InProcessCapture Capture { get; }

    public WebhookInbox Inbox { get; }

    public static SimulatorOptions Customers => new()
    {
        Seed = 5,
        ObjectsPerStream = 6,
        CreatedFrom = DateTimeOffset.UtcNow.AddDays(-60),
        CreatedTo = DateTimeOffset.UtcNow.AddDays(-40),
    };

    /// <summary>
    /// Starts a capture of customers polled every <paramref name="interval"/> (an hour: the test's deliveries are the
    /// only changes applied), and waits for its backfill unless <paramref name="waitForBackfill"/> is false.
    /// </summary>
    public static async Task<WebhookCapture> StartAsync(string interval = "PT1H", JsonObject? advanced = null, TimeProvider? clock = null,
        StripeSimulator? stripe = null, Func<StripeSimulator, string>? open = null, bool waitForBackfill = true)
    {
        stripe ??= await StripeSimulator.StartAsync(Customers);
        var request = JsonNode.Parse(open?.Invoke(stripe) ?? OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1),
            [new OpenRequests.Binding("customers", "incremental", interval)], advanced: advanced ?? new JsonObject { ["event_lag_seconds"] = 0 }))!;
        request["open"]!["capture"]!["config"]!["webhook_signing_secret"] = Secret;
        // The listener starts too: on a free port of loopback, so that tests run side by side.
        request["open"]!["capture"]!["config"]!["advanced"]!["webhook_address"] = $"127.0.0.1:{LoopbackPort.Free()}";
        WebhookInbox? inbox = null;
        var capture = await InProcessCapture.StartAsync(request.ToJsonString(), clock, onSession: session => inbox = session.Inbox);
        var run = new WebhookCapture(stripe, capture, inbox ?? throw new InvalidOperationException("a capture with a webhook secret has an inbox"));
        if (waitForBackfill)
        {
            await capture.WaitUntilAsync(t => t.PendingRanges("customers") == 0);
        }
        return run;
    }

    /// <summary>The body Stripe would deliver for the newest event of <paramref name="type"/> about <paramref name="objectId"/>.</summary>
    public static SimulatedObject EventAbout(SimulatorAccount account, string type, string objectId) =>
        account.Events.First(e => e.EventType == type && e.ToJsonObject()["data"]!["object"]!["id"]!.GetValue<string>() == objectId);

    /// <summary>
    /// Changes the <paramref name="index"/>th customer (its <c>metadata.changed_by</c>): its id, how many documents it
    /// had before, and the event Stripe emitted.
    /// </summary>
    public (string Id, int Before, SimulatedObject Event) ChangeCustomer(int index, string changedBy)
    {
        var id = Stripe.Account.Objects("customers")[index].Id;
        var before = DocumentsOf(id).Count;
        Stripe.Update("customers", id, o => o["metadata"] = new JsonObject { ["changed_by"] = changedBy });
        return (id, before, EventAbout(Stripe.Account, "customer.updated", id));
    }

    /// <summary>The documents captured so far for <paramref name="id"/>.</summary>
    public IReadOnlyList<JsonObject> DocumentsOf(string id) =>
        [.. Capture.Transcript.Documents.Where(d => d.Document["id"]?.GetValue<string>() == id).Select(d => d.Document)];

    /// <summary>Delivers <paramref name="body"/>, acknowledging each checkpoint the capture writes meanwhile, and returns the answer.</summary>
    public async Task<WebhookAnswer> DeliverAsync(ReadOnlyMemory<byte> body)
    {
        var answer = Inbox.DeliverAsync(body, CancellationToken.None);
        await AcknowledgeUntilAsync(answer);
        return await answer;
    }

    /// <summary>Acknowledges checkpoints as they are written until <paramref name="answer"/> completes.</summary>
    public async Task AcknowledgeUntilAsync(Task answer)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (!answer.IsCompleted)
        {
            await AcknowledgeWrittenAsync();
            await Task.WhenAny(answer, Task.Delay(20));
            Assert.True(DateTime.UtcNow < deadline, "the delivery was not answered");
        }
    }

    /// <summary>Acknowledges every checkpoint written so far.</summary>
    public async Task AcknowledgeWrittenAsync()
    {
        var written = Capture.Transcript.Checkpoints;
        if (written > _acknowledged)
        {
            await Capture.AcknowledgeAsync(written - _acknowledged);
            _acknowledged = written;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Capture.DisposeAsync();
        await Stripe.DisposeAsync();
    }
}
