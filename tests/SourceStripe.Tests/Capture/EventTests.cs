using System.Text.Json.Nodes;
using System.Web;
using SourceStripe.Simulator;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Capture;

/// <summary>Changes and deletions after the backfill arrive from Stripe events.</summary>
public sealed class EventTests
{
    private static readonly JsonObject NoLag = new() { ["event_lag_seconds"] = 0 };

    private static readonly string[] EventStreams = [.. StreamCatalog.All.Where(s => !s.Events.IsEmpty).Select(s => s.Name)];

    private static OpenRequests.Binding Incremental(string stream) => new(stream, SyncMode: "incremental", Interval: "PT1S");

    private static bool Backfilled(CaptureTranscript t, IEnumerable<string> streams) => streams.All(s => t.PendingRanges(s) == 0);

    private static JsonObject? Latest(CaptureTranscript t, int binding, string id) =>
        t.Documents.LastOrDefault(d => d.Binding == binding && d.Document["id"]!.GetValue<string>() == id).Document;

    private static string? Op(JsonObject? document) => document?["_meta"]?["op"]?.GetValue<string>();

    private static JsonObject WithoutAdded(JsonObject document, StreamDescriptor stream)
    {
        var copy = (JsonObject)document.DeepClone();
        copy.Remove("_meta");
        if (stream.Parent is { } parent)
        {
            copy.Remove(parent.IdField);
        }
        return copy;
    }

    [Fact]
    public async Task Updates_and_deletes_of_every_stream_with_event_types_arrive_in_the_next_cycle()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 3,
            ObjectsPerStream = 12,
            CreatedFrom = DateTimeOffset.UtcNow.AddDays(-60),
            CreatedTo = DateTimeOffset.UtcNow.AddDays(-40),
        });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), EventStreams.Select(Incremental), advanced: NoLag);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => Backfilled(t, EventStreams));

        var updated = new Dictionary<int, string>();
        var deleted = new Dictionary<int, string>();
        for (var i = 0; i < EventStreams.Length; i++)
        {
            var stream = StreamCatalog.Find(EventStreams[i])!;
            var objects = stream.Parent is null
                ? stripe.Account.Objects(stream.Name)
                : stripe.Account.Objects(stream.Parent.Stream).SelectMany(p => stripe.Account.Children(stream.Name, p.Id)).ToList();
            var target = objects[0].Id;
            stripe.Update(stream.Name, target, o =>
            {
                o["metadata"] = new JsonObject { ["changed_by"] = "event test" };
                if (stream.Name == "top_ups")
                {
                    // Stripe has no topup.updated: only a change of status announces a top-up's change.
                    o["status"] = "reversed";
                }
            });
            updated[i] = target;
            var victim = stream.Name switch
            {
                "invoices" => objects.LastOrDefault(o => o.Status == "draft")?.Id,
                "subscriptions" => objects.LastOrDefault(o => o.Status != "canceled")?.Id,
                _ => objects[^1].Id,
            };
            if (victim is not null && (stream.Events.Any(e => e.Change == ChangeKind.Delete) || stream.Name == "subscriptions"))
            {
                stripe.Delete(stream.Name, victim);
                deleted[i] = victim;
            }
        }

        await capture.WaitUntilAsync(t =>
            updated.All(u => Latest(t, u.Key, u.Value)?["metadata"]?["changed_by"]?.GetValue<string>() == "event test")
            && deleted.All(d => Op(Latest(t, d.Key, d.Value)) is "d" or "u"), TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());

        foreach (var (binding, id) in updated)
        {
            var stream = StreamCatalog.Find(EventStreams[binding])!;
            var document = Latest(capture.Transcript, binding, id)!;
            Assert.Equal("u", Op(document));
            var truth = stripe.Account.Find(stream.Name, id)!.ToJsonObject();
            var captured = WithoutAdded(document, stream);
            // A child's own event (a fee refund's) changes its parent's embedded first page without an event of the
            // parent's, as on Stripe: that page is as of the parent's last event.
            foreach (var child in StreamCatalog.All.Where(c => c.Parent?.Stream == stream.Name && c.Parent.Embedded is not null && !c.Events.IsEmpty))
            {
                truth.Remove(child.Parent!.Embedded!);
                captured.Remove(child.Parent.Embedded!);
            }
            Assert.True(JsonNode.DeepEquals(truth, captured), $"{stream.Name} {id}: {document.ToJsonString()}");
        }
        foreach (var (binding, id) in deleted)
        {
            var stream = EventStreams[binding];
            var document = Latest(capture.Transcript, binding, id)!;
            if (stream == "subscriptions")
            {
                // Stripe's customer.subscription.deleted is a cancellation: the subscription stays, canceled.
                Assert.Equal("u", Op(document));
                Assert.Equal("canceled", document["status"]!.GetValue<string>());
            }
            else
            {
                Assert.Equal("d", Op(document));
                Assert.True(document["deleted"]!.GetValue<bool>());
            }
        }
        var bankAccounts = Array.IndexOf(EventStreams, "bank_accounts");
        Assert.NotNull(Latest(capture.Transcript, bankAccounts, deleted[bankAccounts])!["customer_id"]);
    }

    [Fact]
    public async Task A_parent_with_many_events_has_its_children_listed_once_per_cycle()
    {
        // Stripe's clock and the connector's, moved on by the test rather than waited for.
        var clock = new MovableClock(DateTimeOffset.UtcNow);
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            ObjectsPerStream = 8,
            CreatedFrom = DateTimeOffset.UtcNow.AddDays(-80),
            CreatedTo = DateTimeOffset.UtcNow.AddDays(-40),
            Clock = clock.GetUtcNow,
        });
        // A long interval: the test drives one cycle by hand after the backfill.
        var bindings = new[] { new OpenRequests.Binding("invoice_line_items", "incremental", "PT1H"), new OpenRequests.Binding("subscription_items", "incremental", "PT1H") };
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), bindings, advanced: NoLag);
        await using var capture = await InProcessCapture.StartAsync(open, clock);
        await capture.WaitUntilAsync(t => Backfilled(t, ["invoice_line_items", "subscription_items"]));
        var state = capture.Transcript.State;
        Assert.Equal(0, await capture.StopAsync());

        var invoice = stripe.Account.Objects("invoices")[0].Id;
        var subscription = stripe.Account.Objects("subscriptions")[0].Id;
        for (var i = 0; i < 3; i++)
        {
            stripe.Update("invoices", invoice, o => o["description"] = $"edit {i}");
            stripe.Update("subscriptions", subscription, o => o["description"] = $"edit {i}");
        }
        stripe.ClearRequests();
        // A cycle lists events up to the second before now: the new run's first must include the last edit's. The
        // state keeps a caught-up account's events cursor to the minute, rounded down: the cycle's cursor reads back
        // past the edits only once it lies beyond the minute the edits were made in, so the clocks move past it.
        var edited = stripe.Account.Events.Max(e => e.Created);
        clock.MoveTo(DateTimeOffset.FromUnixTimeSeconds((edited / 60 * 60) + 121));

        // A new run begins with one events cycle; the next is an hour away.
        await using var next = await InProcessCapture.StartAsync(OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), bindings, state, advanced: NoLag), clock, initialState: state);
        // Each binding's events cursor is checkpointed past the edits only once its cycle has listed the children
        // again: every request of the cycle is in the log by then, and none comes after it.
        await next.WaitUntilAsync(t => bindings.All(b => CaptureTranscript.Account(t.State, b.Stream)?["events"]?.GetValue<long>() >= edited));
        Assert.Equal(0, await next.StopAsync());

        Assert.Equal(1, stripe.Requests.Count(r => r.Path == $"/v1/invoices/{invoice}/lines"));
        Assert.Equal(1, stripe.Requests.Count(r => r.Path == "/v1/subscription_items" && r.QueryString.Contains(subscription)));
        Assert.Equal(stripe.Account.Children("invoice_line_items", invoice).Select(o => o.Id).Order(),
            next.Transcript.Documents.Where(d => d.Binding == 0).Select(d => d.Document["id"]!.GetValue<string>()).Order());
        Assert.Contains(next.Transcript.Documents, d => d.Binding == 1 && d.Document["subscription_id"]!.GetValue<string>() == subscription);
        Assert.All(next.Transcript.Documents, d => Assert.Equal("u", Op(d.Document)));
    }

    [Fact]
    public async Task One_events_request_per_cycle_serves_up_to_20_types_of_all_bindings()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 5, CreatedFrom = DateTimeOffset.UtcNow.AddDays(-50), CreatedTo = DateTimeOffset.UtcNow.AddDays(-40) });
        // customers, products, plans, coupons, invoice_items and customer_balance_transactions (its parent's
        // customer events): 15 types, one request per cycle.
        string[] streams = ["customers", "products", "plans", "coupons", "invoice_items", "customer_balance_transactions"];
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), streams.Select(Incremental), advanced: NoLag);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => Backfilled(t, streams));
        stripe.ClearRequests();
        // Two cycles at least, however long a loaded machine takes to run them (not a fixed 3.5 s).
        await capture.WaitUntilAsync(_ => stripe.Requests.Count(r => r.Path == "/v1/events") >= 2 && stripe.Requests.Count(r => r.Path == "/v1/customers") >= 2, TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());

        var events = stripe.Requests.Where(r => r.Path == "/v1/events").ToList();
        var polls = stripe.Requests.Count(r => r.Path == "/v1/customers");
        Assert.InRange(events.Count, 2, polls + 1);
        foreach (var request in events)
        {
            var types = HttpUtility.ParseQueryString(request.QueryString).GetValues("types[]")!;
            Assert.Equal(15, types.Length);
            Assert.Contains("customer.updated", types);
            Assert.Contains("invoiceitem.deleted", types);
        }
    }

    [Fact]
    public async Task Events_listed_late_within_the_lag_are_not_missed()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 9,
            ObjectsPerStream = 30,
            CreatedFrom = DateTimeOffset.UtcNow.AddDays(-50),
            CreatedTo = DateTimeOffset.UtcNow.AddDays(-40),
            EventVisibilityDelay = TimeSpan.FromSeconds(3),
        });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), [Incremental("customers"), Incremental("products")],
            advanced: new JsonObject { ["event_lag_seconds"] = 4 });
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => Backfilled(t, ["customers", "products"]));

        // Changes spread over several cycles, each event listed up to 3 s after later ones.
        var expected = new Dictionary<(int, string), string>();
        for (var round = 0; round < 6; round++)
        {
            foreach (var (binding, stream) in new[] { (0, "customers"), (1, "products") })
            {
                foreach (var item in stripe.Account.Objects(stream).Skip(round * 4).Take(4))
                {
                    var value = $"round {round}";
                    stripe.Update(stream, item.Id, o => o["metadata"] = new JsonObject { ["round"] = value });
                    expected[(binding, item.Id)] = value;
                }
            }
            // The next round once the capture has asked for events since: a cycle between any two rounds.
            var polls = stripe.Requests.Count(r => r.Path == "/v1/events");
            await capture.WaitUntilAsync(_ => stripe.Requests.Count(r => r.Path == "/v1/events") > polls, TimeSpan.FromMinutes(2));
        }
        Assert.Contains(stripe.Account.Events, e => e.VisibleAt > DateTimeOffset.FromUnixTimeSeconds(e.Created).AddSeconds(1));

        await capture.WaitUntilAsync(t => expected.All(e => Latest(t, e.Key.Item1, e.Key.Item2)?["metadata"]?["round"]?.GetValue<string>() == e.Value), TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
    }

    [Fact]
    public async Task An_event_payload_in_an_older_api_version_is_replaced_by_the_object_at_the_pinned_version()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 6, CreatedFrom = DateTimeOffset.UtcNow.AddDays(-50), CreatedTo = DateTimeOffset.UtcNow.AddDays(-40) });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), [Incremental("customers")], advanced: NoLag);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => Backfilled(t, ["customers"]));

        var older = stripe.Account.Objects("customers")[0];
        var newer = stripe.Account.Objects("customers")[1];
        // An account on an old default version: a field missing and a field of another type.
        var oldShape = older.ToJsonObject();
        oldShape.Remove("invoice_prefix");
        oldShape["address"] = "1 Old Street, Springfield";
        stripe.EmitEvent("customer.updated", oldShape, apiVersion: "2020-08-27");
        // An event in the pinned version is used as it is, without another request.
        var current = newer.ToJsonObject();
        current["description"] = "from the event itself";
        stripe.EmitEvent("customer.updated", current);
        stripe.ClearRequests();

        await capture.WaitUntilAsync(t => Op(Latest(t, 0, older.Id)) == "u" && Op(Latest(t, 0, newer.Id)) == "u", TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());

        var refetched = WithoutAdded(Latest(capture.Transcript, 0, older.Id)!, StreamCatalog.Customers);
        Assert.True(JsonNode.DeepEquals(older.ToJsonObject(), refetched), refetched.ToJsonString());
        Assert.Equal("from the event itself", Latest(capture.Transcript, 0, newer.Id)!["description"]!.GetValue<string>());
        Assert.Single(stripe.Requests, r => r.Path == "/v1/customers/" + older.Id);
        Assert.DoesNotContain(stripe.Requests, r => r.Path == "/v1/customers/" + newer.Id);

        var schema = Json.Schema.JsonSchema.FromText(System.Text.Encoding.UTF8.GetString(StreamCatalog.Customers.DocumentSchema));
        using var document = System.Text.Json.JsonDocument.Parse(Latest(capture.Transcript, 0, older.Id)!.ToJsonString());
        Assert.True(schema.Evaluate(document.RootElement).IsValid);
        using var oldDocument = System.Text.Json.JsonDocument.Parse(oldShape.ToJsonString());
        Assert.False(schema.Evaluate(oldDocument.RootElement).IsValid, "the old shape should not fit the pinned schema, or this test proves nothing");
    }

    [Fact]
    public async Task The_events_stream_starts_within_retention_and_a_retention_error_ends_its_backfill()
    {
        var clock = new MovableClock(DateTimeOffset.UtcNow);
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            ObjectsPerStream = 120,
            CreatedFrom = DateTimeOffset.UtcNow.AddDays(-90),
            CreatedTo = DateTimeOffset.UtcNow.AddHours(-1),
            Clock = clock.GetUtcNow,
        });
        var open = (JsonNode? state) => OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-2), [new("events", Interval: "PT1H")], state);
        var retentionStart = clock.GetUtcNow().AddDays(-30).ToUnixTimeSeconds();

        // The state as it stood after the first page of the events backfill, as if the capture had stopped there.
        JsonNode state;
        await using (var first = await InProcessCapture.StartAsync(open(null), clock))
        {
            await first.WaitUntilAsync(t => t.PendingRanges("events") == 0);
            Assert.Equal(0, await first.StopAsync());
            state = first.Transcript.FirstStateWhere(s => CaptureTranscript.Account(s, "events")?["ranges"]?["backfill"]?["after"] is not null)!;
        }
        var gte = stripe.Requests.Where(r => r.Path == "/v1/events").Select(r => HttpUtility.ParseQueryString(r.QueryString)["created[gte]"]).OfType<string>().Select(long.Parse).Min();
        Assert.InRange(gte, retentionStart - 5, retentionStart + 5);

        // Thirty days later the event to resume after has expired: the backfill ends, the capture goes on.
        clock.MoveTo(clock.GetUtcNow().AddDays(31));
        await using var second = await InProcessCapture.StartAsync(open(state), clock, initialState: state);
        await second.WaitUntilAsync(t => t.PendingRanges("events") == 0);
        Assert.Equal(0, await second.StopAsync());
        Assert.Contains(stripe.Requests, r => r.Path == "/v1/events" && r.Status == 400);
    }
}
