using System.Text.Json.Nodes;
using System.Web;
using SourceStripe.Simulator;
using SourceStripe.State;

namespace SourceStripe.Tests.Capture;

/// <summary>start_date, lookback, polling and state across runs, through the production handler.</summary>
public sealed class IncrementalTests
{
    private static readonly DateTimeOffset June6 = new(2022, 6, 6, 0, 0, 0, TimeSpan.Zero);

    private static long Unix(DateTimeOffset t) => t.ToUnixTimeSeconds();

    private static IEnumerable<long> CreatedGte(StripeSimulator stripe, string path) =>
        stripe.Requests.Where(r => r.Path == path)
            .Select(r => HttpUtility.ParseQueryString(r.QueryString)["created[gte]"])
            .Where(v => v is not null)
            .Select(v => long.Parse(v!));

    [Fact]
    public async Task Start_2022_06_06_with_lookback_3_captures_from_06_03_and_on_06_10_rereads_from_06_07()
    {
        var clock = new MovableClock(new DateTimeOffset(2022, 6, 10, 0, 0, 0, TimeSpan.Zero));
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            ObjectsPerStream = 200,
            CreatedFrom = new DateTimeOffset(2022, 5, 25, 0, 0, 0, TimeSpan.Zero),
            CreatedTo = new DateTimeOffset(2022, 6, 9, 23, 0, 0, TimeSpan.Zero),
            Clock = clock.GetUtcNow,
        });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", June6, [new("charges", Interval: "PT1S")], lookbackDays: 3);
        await using var capture = await InProcessCapture.StartAsync(open, clock);
        await capture.WaitUntilAsync(t => t.PendingRanges("charges") == 0);

        var june3 = Unix(June6.AddDays(-3));
        var expected = ExpectedDocuments.For(stripe, "charges", from: june3);
        Assert.True(expected.Count is > 20 and < 200, $"{expected.Count} charges since June 3: the account should straddle it");
        ExpectedDocuments.AssertSame(expected, ExpectedDocuments.Captured(capture.Transcript.Documents, 0), "charges");
        Assert.Equal(june3, CreatedGte(stripe, "/v1/charges").Min());

        // The cursor stands at 2022-06-10 after the backfill (the second the backfill was scheduled: a loaded
        // machine may take a few seconds to get there); the next poll re-reads the 3 days before it.
        var cursor = CaptureTranscript.Account(capture.Transcript.FirstStateWhere(s => CaptureTranscript.Account(s, "charges")?["cursor"] is not null
            && CaptureTranscript.Account(s, "charges")!["ranges"]!.AsObject().Count == 0), "charges")!["cursor"]!.GetValue<long>();
        var june10 = Unix(new DateTimeOffset(2022, 6, 10, 0, 0, 0, TimeSpan.Zero));
        Assert.InRange(cursor, june10, june10 + 60);
        // The state keeps the cursor to the minute, rounded down; the capture polls from the second it holds.
        var threeDaysBefore = cursor - (long)TimeSpan.FromDays(3).TotalSeconds;
        await capture.WaitUntilAsync(_ => CreatedGte(stripe, "/v1/charges").Any(gte => gte >= threeDaysBefore && gte < threeDaysBefore + 60), TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());
    }

    [Fact]
    public async Task New_objects_arrive_in_the_next_poll_and_objects_updated_within_the_lookback_arrive_again()
    {
        var clock = new MovableClock(DateTimeOffset.UtcNow);
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            ObjectsPerStream = 40,
            CreatedFrom = DateTimeOffset.UtcNow.AddDays(-20),
            CreatedTo = DateTimeOffset.UtcNow.AddHours(-1),
            Clock = clock.GetUtcNow,
        });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddDays(-30),
            [new("customers", Interval: "PT1S"), new("invoice_line_items", SyncMode: "incremental", Interval: "PT1S")], lookbackDays: 2);
        await using var capture = await InProcessCapture.StartAsync(open, clock);
        await capture.WaitUntilAsync(t => t.PendingRanges("customers") == 0 && t.PendingRanges("invoice_line_items") == 0);
        var backfilled = capture.Transcript.Documents.Count;

        // Created after the backfill: arrives with the next poll. Updated within the lookback: arrives again.
        clock.MoveTo(clock.GetUtcNow().AddSeconds(2));
        var created = stripe.Create("customers", c => c["name"] = "Created After Backfill");
        var recent = stripe.Account.Objects("customers").First(o => o.Created > Unix(DateTimeOffset.UtcNow.AddDays(-2)) && o.Id != created["id"]!.GetValue<string>());
        stripe.Update("customers", recent.Id, c => c["email"] = "updated@example.com");
        var invoice = stripe.Create("invoices");
        var line = stripe.Create("invoice_line_items", parentId: invoice["id"]!.GetValue<string>());
        clock.MoveTo(clock.GetUtcNow().AddSeconds(2));

        await capture.WaitUntilAsync(t =>
        {
            var customers = ExpectedDocuments.Captured(t.Documents, 0);
            return customers.ContainsKey(created["id"]!.GetValue<string>())
                && customers[recent.Id]["email"]?.GetValue<string>() == "updated@example.com"
                && t.Documents.Any(d => d.Binding == 1 && d.Document["id"]!.GetValue<string>() == line["id"]!.GetValue<string>()
                    && d.Document["invoice_id"]!.GetValue<string>() == invoice["id"]!.GetValue<string>());
        }, TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());

        Assert.Equal("Created After Backfill", ExpectedDocuments.Captured(capture.Transcript.Documents, 0)[created["id"]!.GetValue<string>()]["name"]!.GetValue<string>());
        Assert.True(capture.Transcript.Documents.Count > backfilled);
        // Objects outside the lookback window are not read again by polls.
        var old = stripe.Account.Objects("customers").Last();
        Assert.Single(capture.Transcript.Documents, d => d.Binding == 0 && d.Document["id"]!.GetValue<string>() == old.Id);
    }

    [Fact]
    public async Task Full_refresh_emits_every_document_again_on_each_pass()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 130 });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-3),
            [new("products", SyncMode: "full_refresh", Interval: "PT1S"), new("subscription_items", Interval: "PT1S")]);
        await using var capture = await InProcessCapture.StartAsync(open);
        var products = ExpectedDocuments.For(stripe, "products");
        var items = ExpectedDocuments.For(stripe, "subscription_items");
        bool TwoPasses(CaptureTranscript t, int binding, Dictionary<string, JsonObject> expected)
        {
            var counts = t.Documents.Where(d => d.Binding == binding).CountBy(d => d.Document["id"]!.GetValue<string>()).ToDictionary();
            return expected.Keys.All(id => counts.GetValueOrDefault(id) >= 2);
        }
        await capture.WaitUntilAsync(t => TwoPasses(t, 0, products) && TwoPasses(t, 1, items), TimeSpan.FromMinutes(2));
        Assert.Equal(0, await capture.StopAsync());

        foreach (var (binding, expected) in new[] { (0, products), (1, items) })
        {
            var counts = capture.Transcript.Documents.Where(d => d.Binding == binding).CountBy(d => d.Document["id"]!.GetValue<string>()).ToList();
            Assert.Equal(expected.Keys.Order(), counts.Select(c => c.Key).Order());
            Assert.All(counts, c => Assert.True(c.Value >= 2, $"{c.Key} captured {c.Value} times"));
        }
        Assert.NotNull(CaptureTranscript.Account(capture.Transcript.State, "products")!["lastPass"]);
    }

    [Fact]
    public async Task State_survives_added_and_removed_bindings_a_removed_bindings_column_is_dropped_and_a_backfill_counter_restarts_only_its_binding()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 150 });
        var start = DateTimeOffset.UtcNow.AddYears(-3);

        async Task<CaptureTranscript> RunAsync(JsonNode state, params OpenRequests.Binding[] bindings)
        {
            stripe.ClearRequests();
            await using var capture = await InProcessCapture.StartAsync(OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", start, bindings, state), initialState: state);
            await capture.WaitUntilAsync(t => bindings.All(b => t.PendingRanges(b.StateKey ?? b.Stream) == 0));
            Assert.Equal(0, await capture.StopAsync());
            return capture.Transcript;
        }

        var first = await RunAsync(new JsonObject(), new("charges", Interval: "PT1S"), new("customers", Interval: "PT1S"));
        Assert.Equal(["charges", "customers"], CaptureTranscript.Read(first.State).Bindings.Select(c => c?.StateKey));

        // charges removed, refunds added: customers resumes polling, refunds backfills, charges' column is dropped.
        var second = await RunAsync(first.State, new("refunds", Interval: "PT1S"), new("customers", Interval: "PT1S"));
        Assert.Equal([null, "customers", "refunds"], CaptureTranscript.Read(second.State).Bindings.Select(c => c?.StateKey));
        Assert.Equal(ExpectedDocuments.For(stripe, "refunds").Count, ExpectedDocuments.Captured(second.Documents, 0).Count);
        Assert.DoesNotContain(second.Documents, d => d.Binding == 1);
        Assert.DoesNotContain(CreatedGte(stripe, "/v1/customers"), gte => gte == start.ToUnixTimeSeconds());

        // customers with a higher backfill counter: only customers starts over, in a column of its own.
        var third = await RunAsync(second.State, new("customers", Interval: "PT1S", Backfill: 1), new("refunds", Interval: "PT1S"));
        Assert.Equal(ExpectedDocuments.For(stripe, "customers").Count, ExpectedDocuments.Captured(third.Documents, 0).Count);
        Assert.DoesNotContain(third.Documents, d => d.Binding == 1);
        Assert.Equal([null, null, new StateColumn("refunds", 0, false), new StateColumn("customers", 1, false)], CaptureTranscript.Read(third.State).Bindings);
    }
}
