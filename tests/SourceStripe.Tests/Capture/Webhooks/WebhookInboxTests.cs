using System.Text.Json.Nodes;
using System.Web;
using SourceStripe.Capture.Accounts;
using SourceStripe.Simulator;
using SourceStripe.Tests.Capture.Accounts;
using SourceStripe.Webhooks;

namespace SourceStripe.Tests.Capture.Webhooks;

/// <summary>Stripe's deliveries applied by the capture as its polls apply events, and answered only once acknowledged.</summary>
public sealed class WebhookInboxTests
{
    private static string Changed(JsonObject document) => document["metadata"]?["changed_by"]?.GetValue<string>() ?? "";

    private static long CreatedLte(RecordedRequest request) =>
        long.TryParse(HttpUtility.ParseQueryString(request.QueryString)["created[lte]"], out var lte) ? lte : long.MinValue;

    /// <summary>
    /// Whether a second events poll reaching <paramref name="created"/> has been made: polls of an account run one
    /// after another, so the first has applied its events by then.
    /// </summary>
    private static bool PolledPast(StripeSimulator stripe, long created) =>
        stripe.Requests.Count(r => r.Path == "/v1/events" && CreatedLte(r) >= created) >= 2;

    [Fact]
    public async Task A_delivered_event_is_captured_and_answered_only_once_its_checkpoint_is_acknowledged()
    {
        await using var run = await WebhookCapture.StartAsync();
        Assert.True(run.Capture.Transcript.ExplicitAcknowledgements);
        var (id, before, e) = run.ChangeCustomer(0, "webhook");

        var answer = run.Inbox.DeliverAsync(e.Utf8, CancellationToken.None);
        await run.Capture.WaitUntilAsync(t => t.CommittedDocuments.Count(d => d.Document["id"]!.GetValue<string>() == id) == before + 1);
        // Written and checkpointed, but the runtime has acknowledged nothing yet.
        Assert.False(answer.IsCompleted);

        await run.AcknowledgeUntilAsync(answer);
        Assert.Equal(WebhookAnswer.Captured, await answer);
        var document = run.DocumentsOf(id)[^1];
        Assert.Equal("webhook", Changed(document));
        Assert.Equal("u", document["_meta"]!["op"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(run.Stripe.Account.Find("customers", id)!.ToJsonObject()["metadata"], document["metadata"]));
    }

    [Fact]
    public async Task A_deletion_delivered_becomes_a_deletion_document()
    {
        await using var run = await WebhookCapture.StartAsync();
        var id = run.Stripe.Account.Objects("customers")[^1].Id;
        run.Stripe.Delete("customers", id);

        Assert.Equal(WebhookAnswer.Captured, await run.DeliverAsync(WebhookCapture.EventAbout(run.Stripe.Account, "customer.deleted", id).Utf8));
        var document = run.DocumentsOf(id)[^1];
        Assert.Equal("d", document["_meta"]!["op"]!.GetValue<string>());
        Assert.True(document["deleted"]!.GetValue<bool>());
    }

    [Fact]
    public async Task An_event_delivered_twice_makes_one_document()
    {
        await using var run = await WebhookCapture.StartAsync();
        var (id, before, e) = run.ChangeCustomer(1, "twice");

        Assert.Equal(WebhookAnswer.Captured, await run.DeliverAsync(e.Utf8));
        Assert.Equal(WebhookAnswer.Ignored, await run.DeliverAsync(e.Utf8));
        Assert.Equal(before + 1, run.DocumentsOf(id).Count);
    }

    [Fact]
    public async Task An_older_event_delivered_after_a_newer_one_leaves_the_newer_version()
    {
        await using var run = await WebhookCapture.StartAsync();
        var (id, before, older) = run.ChangeCustomer(2, "first");
        var current = run.Stripe.Update("customers", id, o => o["metadata"] = new JsonObject { ["changed_by"] = "second" });
        // The second change's event, a second after the first's whatever second the test runs in.
        var newerId = run.Stripe.EmitEvent("customer.updated", current, created: DateTimeOffset.FromUnixTimeSeconds(older.Created + 1))["id"]!.GetValue<string>();
        var newer = run.Stripe.Account.Events.First(e => e.Id == newerId);

        Assert.Equal(WebhookAnswer.Captured, await run.DeliverAsync(newer.Utf8));
        Assert.Equal(WebhookAnswer.Ignored, await run.DeliverAsync(older.Utf8));
        Assert.Equal(before + 1, run.DocumentsOf(id).Count);
        Assert.Equal("second", Changed(run.DocumentsOf(id)[^1]));
    }

    [Fact]
    public async Task An_event_delivered_and_then_polled_changes_the_collection_once()
    {
        // Polled every second, events listed 2 s behind now: the delivery comes first, the poll then lists it too.
        await using var run = await WebhookCapture.StartAsync("PT1S", new JsonObject { ["event_lag_seconds"] = 2, ["events_interval_with_webhooks"] = "PT1S" });
        var (id, before, e) = run.ChangeCustomer(3, "delivered then polled");

        // Captured, or Ignored should the poll have been quicker on a loaded machine: once either way.
        Assert.NotEqual(WebhookAnswer.Retry, await run.DeliverAsync(e.Utf8));
        await run.Capture.WaitUntilAsync(_ => PolledPast(run.Stripe, e.Created));
        Assert.Equal(0, await run.Capture.StopAsync());
        Assert.Equal(before + 1, run.DocumentsOf(id).Count);
        Assert.Equal("delivered then polled", Changed(run.DocumentsOf(id)[^1]));
    }

    [Fact]
    public async Task An_event_polled_and_then_delivered_is_ignored()
    {
        await using var run = await WebhookCapture.StartAsync("PT1S");
        var (id, before, e) = run.ChangeCustomer(4, "polled then delivered");
        await run.Capture.WaitUntilAsync(_ => PolledPast(run.Stripe, e.Created));

        Assert.Equal(WebhookAnswer.Ignored, await run.DeliverAsync(e.Utf8));
        Assert.Equal(0, await run.Capture.StopAsync());
        Assert.Equal(before + 1, run.DocumentsOf(id).Count);
    }

    [Fact]
    public async Task An_event_of_another_shards_account_is_ignored()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedCaptures.Options(connected: 4, objects: 4));
        // The shard owns the half of the hashes without the last connected account.
        var other = stripe.ConnectedAccountIds[^1];
        var range = KeyRange.Hash(other) < 0x8000_0000u ? (0x8000_0000u, uint.MaxValue) : (0u, 0x7fff_ffffu);
        await using var run = await WebhookCapture.StartAsync(stripe: stripe, open: s => ConnectedCaptures.Open(s, range: range), waitForBackfill: false);
        var account = stripe.AccountFor(other);
        var id = account.Objects("customers")[0].Id;
        stripe.On(other).Update("customers", id, o => o["metadata"] = new JsonObject { ["changed_by"] = "another shard" });
        var e = WebhookCapture.EventAbout(account, "customer.updated", id);
        Assert.Equal(other, e.ToJsonObject()["account"]!.GetValue<string>());

        Assert.Equal(WebhookAnswer.Ignored, await run.DeliverAsync(e.Utf8));
        Assert.Empty(run.DocumentsOf(id));
    }

    [Fact]
    public async Task A_type_no_binding_follows_is_ignored()
    {
        await using var run = await WebhookCapture.StartAsync();
        var charge = run.Stripe.Account.Objects("charges")[0].Id;
        run.Stripe.Update("charges", charge, o => o["description"] = "not followed");
        var e = run.Stripe.Account.Events.First(x => x.EventType?.StartsWith("charge.", StringComparison.Ordinal) == true);

        Assert.Equal(WebhookAnswer.Ignored, await run.DeliverAsync(e.Utf8));
        Assert.Empty(run.DocumentsOf(charge));
    }

    [Fact]
    public async Task A_delivery_whose_checkpoint_is_not_acknowledged_in_time_is_answered_retry()
    {
        var clock = new HeldDeadlineClock();
        await using var run = await WebhookCapture.StartAsync(clock: clock);
        var (id, before, e) = run.ChangeCustomer(5, "never acknowledged");

        var answer = run.Inbox.DeliverAsync(e.Utf8, CancellationToken.None);
        await run.Capture.WaitUntilAsync(t => t.CommittedDocuments.Count(d => d.Document["id"]!.GetValue<string>() == id) == before + 1);
        Assert.False(answer.IsCompleted);
        Assert.True(clock.Held >= 1);
        clock.PassDeadlines();
        Assert.Equal(WebhookAnswer.Retry, await answer.WaitAsync(TimeSpan.FromMinutes(1)));
    }
}
