using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Web;
using SourceStripe.Capture;
using SourceStripe.Protocol;
using SourceStripe.Simulator;
using SourceStripe.Stripe;
using SourceStripe.Tests.Capture.Accounts;

namespace SourceStripe.Tests.Capture.Polls;

/// <summary>
/// A one-shot capture (the terminal's <c>capture</c> without <c>--follow</c>) has no events polls planned: it reads each
/// account's events once, at its end, and ends.
/// </summary>
public sealed class OneShotEventsTests
{
    [Fact]
    public async Task A_one_shot_capture_reads_each_accounts_events_once_at_its_end_and_ends()
    {
        // Stripe's clock and the connector's, moved past the edits by the test rather than waited for.
        var clock = new MovableClock(DateTimeOffset.UtcNow);
        await using var stripe = await StripeSimulator.StartAsync(ConnectedCaptures.Options(connected: 3) with { Clock = clock.GetUtcNow });
        var accounts = ConnectedCaptures.AllAccounts(stripe);
        var first = await RunOnceAsync(ConnectedCaptures.Open(stripe), clock, null);
        Assert.True(first.CaughtUp(ConnectedCaptures.Streams, accounts));

        var updated = accounts.ToDictionary(a => a, a =>
        {
            var customer = stripe.AccountFor(a).Objects("customers")[0].Id;
            stripe.On(a).Update("customers", customer, c => c["description"] = "changed on " + a);
            return customer;
        });
        clock.MoveTo(clock.GetUtcNow().AddMinutes(2));
        stripe.ClearRequests();
        var second = await RunOnceAsync(ConnectedCaptures.Open(stripe, first.State), clock, first.State);

        Assert.All(accounts, a => Assert.Contains(second.CommittedDocuments, d =>
            d.Document["id"]!.GetValue<string>() == updated[a] && d.Document["description"]?.GetValue<string>() == "changed on " + a));
        // One cycle per account: each of its events requests once, all up to the same time (the clock's calibration aside).
        var events = stripe.Requests.Where(r => r.Path == "/v1/events" && r.QueryString.Contains("types", StringComparison.Ordinal)).ToList();
        Assert.All(accounts, a =>
        {
            var own = events.Where(r => (r.StripeAccount ?? ConnectedCaptures.Platform) == a).ToList();
            Assert.NotEmpty(own);
            Assert.Single(own.Select(r => HttpUtility.ParseQueryString(r.QueryString)["created[lte]"]).Distinct());
            Assert.Equal(own.Count, own.Select(r => HttpUtility.ParseQueryString(r.QueryString).GetValues("types[]")!.First()).Distinct().Count());
        });
    }

    /// <summary>Runs the open request's capture once, until every binding has caught up, and returns what it wrote.</summary>
    private static async Task<CaptureTranscript> RunOnceAsync(string openRequest, TimeProvider clock, JsonNode? state)
    {
        using var document = JsonDocument.Parse(openRequest);
        Assert.True(RequestReader.TryRead(document.RootElement, out var request, out var wrongType), wrongType);
        var spec = CaptureSpecReader.Read(request.Open!, clock.GetUtcNow()) with { StopWhenCaughtUp = true };
        using var stdout = new MemoryStream();
        var session = new CaptureSession(spec, null, new ProtocolCaptureSink(new ProtocolOutput(stdout)), config => new StripeClient(config, clock: clock));

        Assert.Equal(0, await session.RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(3)));

        var transcript = new CaptureTranscript(state);
        foreach (var line in Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            transcript.Add(line);
        }
        return transcript;
    }
}
