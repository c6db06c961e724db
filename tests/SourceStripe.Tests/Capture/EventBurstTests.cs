using System.Text.Json.Nodes;
using System.Web;
using SourceStripe.Simulator;
using SourceStripe.Tests.Capture.Core;

namespace SourceStripe.Tests.Capture;

/// <summary>A burst of changes to one resource, each read again, against Stripe's per-endpoint limit.</summary>
public sealed class EventBurstTests
{
    private static readonly JsonObject Refetch = new() { ["event_lag_seconds"] = 0, ["event_payloads"] = "refetch" };

    [Fact]
    public async Task A_burst_of_500_changes_to_charges_is_read_again_at_its_endpoints_pace_without_holding_back_older_changes_to_customers()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions
        {
            Seed = 12,
            ObjectsPerStream = 60,
            ObjectCounts = new Dictionary<string, int> { ["charges"] = 600 },
            CreatedFrom = DateTimeOffset.UtcNow.AddDays(-60),
            CreatedTo = DateTimeOffset.UtcNow.AddDays(-40),
        });
        // A long interval: each run reads its events once, when it starts.
        OpenRequests.Binding[] bindings = [new("charges", "incremental", "PT1H"), new("customers", "incremental", "PT1H")];
        JsonNode state;
        await using (var backfill = await InProcessCapture.StartAsync(OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), bindings, advanced: Refetch)))
        {
            await backfill.WaitUntilAsync(t => t.PendingRanges("charges") == 0 && t.PendingRanges("customers") == 0);
            state = backfill.Transcript.State;
            Assert.Equal(0, await backfill.StopAsync());
        }

        // The customers change first, so that their events come after all of the charges' in Stripe's newest-first list.
        var customers = stripe.Account.Objects("customers").Take(40).Select(o => o.Id).ToList();
        var charges = stripe.Account.Objects("charges").Take(500).Select(o => o.Id).ToList();
        foreach (var id in customers)
        {
            stripe.Update("customers", id, o => o["metadata"] = new JsonObject { ["burst"] = "yes" });
        }
        foreach (var id in charges)
        {
            stripe.Update("charges", id, o => o["metadata"] = new JsonObject { ["burst"] = "yes" });
        }
        // Events are read up to the second before now: wait until every change is in a whole second past.
        var changed = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        await WorkSchedulerTests.Until(() => DateTimeOffset.UtcNow.ToUnixTimeSeconds() > changed + 1);
        stripe.ClearRequests();

        await using var next = await InProcessCapture.StartAsync(OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-1), bindings, state, advanced: Refetch), initialState: state);
        await next.WaitUntilAsync(t => Burst(t, 0).Count == charges.Count && Burst(t, 1).Count == customers.Count, TimeSpan.FromMinutes(3));
        Assert.Equal(0, await next.StopAsync());

        // The two streams' events were read by one request, so the customers' came on its later pages ...
        var events = stripe.Requests.Where(r => r.Path == "/v1/events").Select(r => HttpUtility.ParseQueryString(r.QueryString).GetValues("types[]") ?? []).ToList();
        Assert.Contains(events, types => types.Contains("charge.updated") && types.Contains("customer.updated"));
        // ... yet they arrived while the charges were still being read again, at 25 a second (about 20 s for 500),
        // not after them.
        var documents = next.Transcript.Documents.ToList();
        var lastCustomer = documents.FindLastIndex(d => d.Binding == 1 && IsBurst(d.Document));
        var charge250 = documents.Select((d, i) => (d, i)).Where(p => p.d.Binding == 0 && IsBurst(p.d.Document)).ElementAt(249).i;
        Assert.True(lastCustomer < charge250, $"the last customer came at {lastCustomer}, after the 250th charge at {charge250}");
        // Every charge was read again through its endpoint's budget: the simulator, enforcing Stripe's 25 a second,
        // refused next to none (the exact share, none, is the fake clock's in EndpointBudgetTests; a loaded machine
        // can bunch a request or two into one second on the way).
        var retrieves = stripe.Requests.Where(r => r.Endpoint.StartsWith("GET /v1/charges/", StringComparison.Ordinal)).ToList();
        Assert.InRange(retrieves.Count(r => r.Status == 200), charges.Count, charges.Count + 5);
        Assert.True(retrieves.Count(r => r.Status == 429) <= charges.Count / 100, $"{retrieves.Count(r => r.Status == 429)} of {retrieves.Count} charges read again were refused");
    }

    private static bool IsBurst(JsonObject document) => document["metadata"]?["burst"]?.GetValue<string>() == "yes";

    private static HashSet<string> Burst(CaptureTranscript transcript, int binding) =>
        [.. transcript.Documents.Where(d => d.Binding == binding && IsBurst(d.Document)).Select(d => d.Document["id"]!.GetValue<string>())];
}
