using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Capture;
using SourceStripe.Capture.Output;
using SourceStripe.Logging;
using SourceStripe.Protocol;
using SourceStripe.Simulator;
using SourceStripe.Stripe;
using static SourceStripe.Tests.Capture.Accounts.ConnectedCaptures;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>
/// The platform's connected accounts listed in parallel <c>created</c> slices, each account starting as its page
/// arrives: more accounts than one page holds, against the simulator.
/// </summary>
public sealed class AccountListingTests
{
    /// <summary>More than a page: the listing has a second page to hold, and a range to split.</summary>
    private const int Connected = 150;

    /// <summary>Hourly: within a test each binding reads its backfill once, and nothing more.</summary>
    private static readonly OpenRequests.Binding[] Hourly = [new("customers", Interval: "PT1H"), new("charges", Interval: "PT1H")];

    private static Task<StripeSimulator> StartStripeAsync(int seed) => StripeSimulator.StartAsync(new SimulatorOptions
    {
        Seed = seed,
        ObjectsPerStream = 2,
        ConnectedAccounts = [.. Enumerable.Range(0, Connected).Select(_ => new ConnectedAccountOptions { ObjectsPerStream = 2 })],
    });

    private static string OpenHourly(StripeSimulator stripe) =>
        OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, Hourly, connected: true, advanced: new JsonObject { ["event_lag_seconds"] = 0 });

    private static bool CaughtUp(CaptureTranscript transcript, IEnumerable<string> accounts) => transcript.CaughtUp(Hourly.Select(b => b.Stream), accounts);

    [Fact]
    public async Task Accounts_start_while_the_listing_goes_on_in_slices_and_each_is_captured_once()
    {
        await using var stripe = await StartStripeAsync(seed: 251);
        var gate = new ListingGate(Platform);
        var log = new LogLines();
        var accounts = AllAccounts(stripe);
        CaptureTranscript transcript;
        using (Log.Above(log))
        {
            await using var capture = await InProcessCapture.StartAsync(OpenHourly(stripe), clients: config => new StripeClient(config, gate));
            await capture.WaitUntilAsync(t => CaughtUp(t, accounts) && log.Lines.Any(l => l.Contains($"Capturing {Connected + 1} accounts: ", StringComparison.Ordinal)));
            Assert.Equal(0, await capture.StopAsync());
            transcript = capture.Transcript;
        }

        // Each account listed once: a slice split while its page was asked for leaves what is below it to the split.
        Assert.Contains(log.Lines, l => l.Contains($"Capturing {Connected + 1} accounts: those of the platform and its {Connected} connected accounts", StringComparison.Ordinal));
        Assert.True(gate.AccountsStartedBeforeTheListingEnded(), string.Join(", ", gate.Seen));
        var listings = stripe.Requests.Where(r => r.Path == "/v1/accounts" && r.StripeAccount == Platform).ToList();
        var slices = listings.Select(r => System.Web.HttpUtility.ParseQueryString(r.QueryString)["created[gte]"]).Distinct().Count();
        Assert.True(slices >= 2, $"the listing read {slices} created slice: {string.Join(" ", listings.Select(r => r.QueryString))}");
        AssertEachOnce(stripe, accounts, transcript.Documents.Select(d => (d.Binding, d.Document)));
    }

    [Fact]
    public async Task An_account_refused_while_the_listing_goes_on_is_named_and_left_out_and_the_others_complete()
    {
        await using var stripe = await StartStripeAsync(seed: 252);
        // The oldest account is in the listing's last slice; the one whose request leaves first is in its first page.
        var forbidden = stripe.Account.Objects("accounts").MinBy(a => a.Created)!.Id;
        stripe.ForbidAccount(forbidden);
        string? deauthorized = null;
        var gate = new ListingGate(Platform, account =>
        {
            deauthorized = account;
            stripe.DisconnectAccount(account);
        });
        var log = new LogLines();
        using (Log.Above(log))
        {
            await using var capture = await InProcessCapture.StartAsync(OpenHourly(stripe), clients: config => new StripeClient(config, gate));
            await capture.WaitUntilAsync(_ => deauthorized is not null);
            var others = AllAccounts(stripe).Except([forbidden, deauthorized!]).ToList();
            Assert.Equal(Connected - 1, others.Count);
            await capture.WaitUntilAsync(t => CaughtUp(t, others) && log.Warned(forbidden) && log.Warned(deauthorized!));
            Assert.False(capture.Exit.IsCompleted, "the capture stopped when a connected account was refused");
            Assert.Equal(0, await capture.StopAsync());

            Assert.True(gate.AccountsStartedBeforeTheListingEnded(), string.Join(", ", gate.Seen));
            AssertEachOnce(stripe, others, capture.Transcript.Documents.Select(d => (d.Binding, d.Document)).Where(d => others.Contains(Account(d.Document))));
            Assert.DoesNotContain(capture.Transcript.Documents, d => Account(d.Document) is var account && (account == forbidden || account == deauthorized));
            Assert.Single(log.Lines, l => l.Contains($"Skipping connected account {forbidden}", StringComparison.Ordinal));
            Assert.Single(log.Lines, l => l.Contains($"Skipping connected account {deauthorized}", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_capture_that_stops_once_caught_up_waits_for_the_whole_listing()
    {
        await using var stripe = await StartStripeAsync(seed: 253);
        var gate = new ListingGate(Platform);
        using var document = JsonDocument.Parse(OpenHourly(stripe));
        Assert.True(RequestReader.TryRead(document.RootElement, out var request, out var wrongType), wrongType);
        var spec = CaptureSpecReader.Read(request.Open!, DateTimeOffset.UtcNow) with { StopWhenCaughtUp = true };
        var sink = new DocumentsSink();

        var exit = await new CaptureSession(spec, null, sink, config => new StripeClient(config, gate)).RunAsync(CancellationToken.None).WaitAsync(TimeSpan.FromMinutes(3));

        Assert.Equal(0, exit);
        Assert.True(gate.AccountsStartedBeforeTheListingEnded(), string.Join(", ", gate.Seen));
        AssertEachOnce(stripe, AllAccounts(stripe), sink.Documents);
    }

    [Fact]
    public async Task An_account_in_the_state_keeps_it_until_the_listing_finds_it_and_resumes_from_it()
    {
        await using var stripe = await StartStripeAsync(seed: 254);
        var accounts = AllAccounts(stripe);
        JsonNode state;
        await using (var first = await InProcessCapture.StartAsync(OpenHourly(stripe)))
        {
            await first.WaitUntilAsync(t => CaughtUp(t, accounts));
            Assert.Equal(0, await first.StopAsync());
            state = first.Transcript.State;
        }

        // Polled every second from now on: each account, once listed, polls from its cursor, none backfills again.
        stripe.ClearRequests();
        var gate = new ListingGate(Platform);
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, Hourly.Select(b => b with { Interval = "PT1S" }), state, connected: true,
            advanced: new JsonObject { ["event_lag_seconds"] = 0 });
        await using var resumed = await InProcessCapture.StartAsync(open, initialState: state, clients: config => new StripeClient(config, gate));
        await resumed.WaitUntilAsync(_ => stripe.Requests.Where(r => r.Path == "/v1/customers").Select(r => r.StripeAccount).Distinct().Count() == accounts.Count);
        Assert.Equal(0, await resumed.StopAsync());

        Assert.True(gate.AccountsStartedBeforeTheListingEnded(), string.Join(", ", gate.Seen));
        var start = Start.ToUnixTimeSeconds();
        Assert.All(stripe.Requests.Where(r => r.Path is "/v1/customers" or "/v1/charges"), r =>
            Assert.True(System.Web.HttpUtility.ParseQueryString(r.QueryString)["created[gte]"] is { } gte && long.Parse(gte, System.Globalization.CultureInfo.InvariantCulture) > start + 86_400,
                $"{r.StripeAccount}: {r.QueryString}"));
    }

    private static string Account(JsonObject document) => document["account_id"]!.GetValue<string>();

    /// <summary>Each account's customers and charges, each once, and no other account's.</summary>
    private static void AssertEachOnce(StripeSimulator stripe, IReadOnlyList<string> accounts, IEnumerable<(int Binding, JsonObject Document)> documents)
    {
        var captured = documents.GroupBy(d => (d.Binding, Account: Account(d.Document))).ToDictionary(g => g.Key, g => g.Select(d => d.Document["id"]!.GetValue<string>()).Order().ToList());
        Assert.Equal(accounts.Count * Hourly.Length, captured.Count);
        foreach (var account in accounts)
        {
            for (var binding = 0; binding < Hourly.Length; binding++)
            {
                var expected = stripe.AccountFor(account).Objects(Hourly[binding].Stream).Select(o => o.Id).Order().ToList();
                Assert.NotEmpty(expected);
                Assert.Equal(expected, captured.GetValueOrDefault((binding, account)));
            }
        }
    }

    /// <summary>The log's lines while attached (other tests' lines included: each test looks for its own accounts).</summary>
    private sealed class LogLines : ILiveArea
    {
        private readonly ConcurrentQueue<string> _lines = new();

        public IReadOnlyCollection<string> Lines => _lines;

        public void WriteAbove(string line) => _lines.Enqueue(line);

        public bool Warned(string account) => _lines.Any(l => l.Contains("\"warn\"", StringComparison.Ordinal) && l.Contains($"Skipping connected account {account}", StringComparison.Ordinal));
    }

    /// <summary>The documents a capture commits, read back from its <c>captured</c> lines.</summary>
    private sealed class DocumentsSink : ICaptureSink
    {
        public List<(int Binding, JsonObject Document)> Documents { get; } = [];

        public void Opened()
        {
        }

        public void Commit(ReadOnlySpan<byte> capturedLines, int documents, string? stateKey, ReadOnlySpan<byte> statePatch)
        {
            foreach (var line in Encoding.UTF8.GetString(capturedLines).Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var captured = JsonNode.Parse(line)!["captured"]!;
                Documents.Add((captured["binding"]!.GetValue<int>(), captured["doc"]!.AsObject()));
            }
        }

        public void Flush()
        {
        }
    }
}
