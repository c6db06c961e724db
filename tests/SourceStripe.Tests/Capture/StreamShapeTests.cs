using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Capture;

/// <summary>
/// The shapes issue 13's streams brought: lists without <c>created</c> filters, a parent's id in the query string,
/// children carried whole by their own events, a parent's deletion, and streams that only full refresh keeps current.
/// </summary>
public sealed class StreamShapeTests
{
    private static readonly JsonObject NoLag = new() { ["event_lag_seconds"] = 0 };

    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddYears(-1);

    /// <summary>Streams whose changes no event brings: a full-refresh pass is what reads them again.</summary>
    public static TheoryData<string> PassOnlyStreams() =>
        [.. StreamCatalog.All.Where(s => !s.ChangesFromEvents && s.Supports(SyncMode.FullRefresh)).Select(s => s.Name)];

    private static SimulatorOptions Recent(int seed, int objects) => new()
    {
        Seed = seed,
        ObjectsPerStream = objects,
        CreatedFrom = DateTimeOffset.UtcNow.AddDays(-60),
        CreatedTo = DateTimeOffset.UtcNow.AddDays(-40),
    };

    private static JsonObject? Latest(CaptureTranscript t, int binding, string id) =>
        t.Documents.LastOrDefault(d => d.Binding == binding && d.Document["id"]!.GetValue<string>() == id).Document;

    private static string? Op(JsonObject? document) => document?["_meta"]?["op"]?.GetValue<string>();

    [Theory]
    [MemberData(nameof(PassOnlyStreams))]
    public async Task A_change_without_an_event_arrives_with_the_next_full_refresh_pass(string stream)
    {
        await using var stripe = await StripeSimulator.StartAsync(Recent(seed: 11, objects: 6));
        var descriptor = StreamCatalog.Find(stream)!;
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new(stream, SyncMode: "full_refresh", Interval: "PT1S")]);
        await using var capture = await InProcessCapture.StartAsync(open);
        var expected = ExpectedDocuments.For(stripe, stream);
        await capture.WaitUntilAsync(t => expected.Keys.All(id => Latest(t, 0, id) is not null));

        var target = expected.Keys.First();
        stripe.Update(stream, target, o => o["metadata"] = new JsonObject { ["changed_by"] = "shape test" });
        await capture.WaitUntilAsync(t => Latest(t, 0, target)?["metadata"]?["changed_by"]?.GetValue<string>() == "shape test", TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
        Assert.Null(Op(Latest(capture.Transcript, 0, target)));
        Assert.False(descriptor.ChangesFromEvents);
    }

    [Fact]
    public async Task A_list_without_created_filters_is_read_whole_then_kept_current_by_its_events_alone()
    {
        await using var stripe = await StripeSimulator.StartAsync(Recent(seed: 12, objects: 130));
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new("quotes", Interval: "PT1S")], advanced: NoLag);
        await using var capture = await InProcessCapture.StartAsync(open);
        var expected = ExpectedDocuments.For(stripe, "quotes");
        await capture.WaitUntilAsync(t => t.PendingRanges("quotes") == 0 && expected.Keys.All(id => Latest(t, 0, id) is not null));
        var lists = stripe.Requests.Where(r => r.Path == "/v1/quotes").ToList();
        Assert.Equal(2, lists.Count);
        Assert.All(lists, r => Assert.DoesNotContain("created", r.QueryString, StringComparison.Ordinal));

        var created = stripe.Create("quotes")["id"]!.GetValue<string>();
        await capture.WaitUntilAsync(t => Op(Latest(t, 0, created)) == "c" && stripe.Requests.Count(r => r.Path == "/v1/events") >= 3, TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
        // No poll: a list without created filters cannot say what is new, its events do.
        Assert.Equal(2, stripe.Requests.Count(r => r.Path == "/v1/quotes"));
    }

    [Fact]
    public async Task A_child_listed_by_its_parents_id_in_the_query_string_carries_that_id()
    {
        await using var stripe = await StripeSimulator.StartAsync(Recent(seed: 13, objects: 8));
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new("setup_attempts"), new("payout_balance_transactions")]);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => t.PendingRanges("setup_attempts") == 0 && t.PendingRanges("payout_balance_transactions") == 0);
        Assert.Equal(0, await capture.StopAsync());

        foreach (var (binding, stream, param) in new[] { (0, "setup_attempts", "setup_intent"), (1, "payout_balance_transactions", "payout") })
        {
            ExpectedDocuments.AssertSame(ExpectedDocuments.For(stripe, stream), ExpectedDocuments.Captured(capture.Transcript.Documents, binding), stream);
            var path = StreamCatalog.Find(stream)!.Path;
            Assert.All(stripe.Requests.Where(r => r.Path == path), r => Assert.Contains(param + "=", r.QueryString, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_detached_payment_method_is_deleted_under_the_customer_its_previous_attributes_name()
    {
        await using var stripe = await StripeSimulator.StartAsync(Recent(seed: 14, objects: 6));
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new("payment_methods", Interval: "PT1S")], advanced: NoLag);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => t.PendingRanges("payment_methods") == 0);

        var method = stripe.Account.Objects("customers").SelectMany(c => stripe.Account.Children("payment_methods", c.Id)).First();
        var detached = method.ToJsonObject();
        detached["customer"] = null;
        stripe.EmitEvent("payment_method.detached", detached, previousAttributes: new JsonObject { ["customer"] = method.ParentId });
        await capture.WaitUntilAsync(t => Op(Latest(t, 0, method.Id)) == "d", TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
        Assert.Equal(method.ParentId, Latest(capture.Transcript, 0, method.Id)!["customer_id"]!.GetValue<string>());
        // Its own events carry it: the customer's payment methods are not listed again.
        Assert.Equal(stripe.Account.Objects("customers").Count, stripe.Requests.Count(r => r.Path.EndsWith("/payment_methods", StringComparison.Ordinal)));
    }

    [Theory]
    [InlineData("customer_tax_ids")]
    [InlineData("persons")]
    [InlineData("external_account_cards")]
    public async Task A_child_carried_by_its_own_events_is_read_again_under_its_parent_when_refetched(string stream)
    {
        await using var stripe = await StripeSimulator.StartAsync(Recent(seed: 16, objects: 6));
        var advanced = new JsonObject { ["event_lag_seconds"] = 0, ["event_payloads"] = "refetch" };
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new(stream, Interval: "PT1S")], advanced: advanced);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => t.PendingRanges(stream) == 0);

        var parent = StreamCatalog.Find(stream)!.Parent!;
        var child = stripe.Account.Objects(parent.Stream).SelectMany(p => stripe.Account.Children(stream, p.Id)).First();
        stripe.Update(stream, child.Id, o => o["metadata"] = new JsonObject { ["changed_by"] = "refetch test" });
        await capture.WaitUntilAsync(t => Latest(t, 0, child.Id)?["metadata"]?["changed_by"] is not null, TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
        var document = Latest(capture.Transcript, 0, child.Id)!;
        Assert.Equal("u", Op(document));
        Assert.Equal(child.ParentId, document[parent.IdField]!.GetValue<string>());
        Assert.Contains(stripe.Requests, r => r.Path.EndsWith("/" + child.ParentId + "/" + StreamCatalog.Find(stream)!.Path.Split('/')[^1] + "/" + child.Id, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_deleted_draft_invoices_embedded_lines_become_tombstones()
    {
        await using var stripe = await StripeSimulator.StartAsync(Recent(seed: 15, objects: 20));
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, [new("invoice_line_items", SyncMode: "incremental", Interval: "PT1S")], advanced: NoLag);
        await using var capture = await InProcessCapture.StartAsync(open);
        await capture.WaitUntilAsync(t => t.PendingRanges("invoice_line_items") == 0);

        // One whose lines all fit the first page its deletion event embeds.
        var draft = stripe.Account.Objects("invoices").First(i => i.Status == "draft" && stripe.Account.Children("invoice_line_items", i.Id).Count is > 0 and <= 10);
        var lines = stripe.Account.Children("invoice_line_items", draft.Id).Select(l => l.Id).ToList();
        stripe.Delete("invoices", draft.Id);
        await capture.WaitUntilAsync(t => lines.All(id => Op(Latest(t, 0, id)) == "d"), TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
        Assert.All(lines, id => Assert.Equal(draft.Id, Latest(capture.Transcript, 0, id)!["invoice_id"]!.GetValue<string>()));
    }
}
