using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using static SourceStripe.Tests.Capture.Accounts.ConnectedCaptures;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>A Connect platform captured with its connected accounts, in this process against the simulator.</summary>
public sealed class ConnectedAccountsTests
{
    [Fact]
    public async Task Every_account_is_captured_whole_each_request_made_for_its_account_and_each_document_naming_it()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 3));
        await using var capture = await InProcessCapture.StartAsync(Open(stripe));
        var accounts = AllAccounts(stripe);
        await capture.WaitUntilAsync(CaughtUp(accounts));
        Assert.Equal(0, await capture.StopAsync());

        AssertAccounts(stripe, accounts, capture.Transcript.CommittedDocuments);
        // Each account's objects were asked for with its own Stripe-Account, the platform's with its id.
        var customerRequests = stripe.Requests.Where(r => r.Path == "/v1/customers").ToList();
        Assert.All(accounts, account => Assert.Contains(customerRequests, r => r.StripeAccount == account));
        Assert.All(stripe.Requests, r => Assert.Contains(r.StripeAccount, accounts));
    }

    /// <summary>Every account has its row, every binding a time in it, and no binding an entry in pending.</summary>
    private static bool Folded(JsonNode state, IReadOnlyCollection<string> accounts)
    {
        var read = CaptureTranscript.Read(state);
        return (state["pending"] is null or JsonObject { Count: 0 } || state["pending"]!.AsObject().All(p => p.Value is JsonObject { Count: 0 }))
            && accounts.All(read.Accounts.ContainsKey)
            && read.Accounts.Values.All(row => read.Bindings.Select((column, i) => row.StateOf(i, column!)).All(c => c is { LastRun: not null } or { LastPass: not null }));
    }

    [Fact]
    public async Task Caught_up_accounts_are_one_row_each_and_a_capture_resumed_from_them_reads_only_what_is_new()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 3));
        var accounts = AllAccounts(stripe);
        JsonNode state;
        await using (var first = await InProcessCapture.StartAsync(Open(stripe)))
        {
            // A checkpoint after which every account is caught up and every binding folded back into its row: with
            // polls every second, a binding is in use (its entry in pending) for a moment now and then, so the state
            // at the stop may well hold one.
            await first.WaitUntilAsync(t => t.FirstStateWhere(s => Folded(s, accounts)) is not null);
            Assert.Equal(0, await first.StopAsync());
            state = first.Transcript.FirstStateWhere(s => Folded(s, accounts))!;
        }

        // Each account once, in its row, with a column for each binding; no binding keeps an entry for it.
        var read = CaptureTranscript.Read(state);
        Assert.Equal(ConnectedCaptures.Streams, read.Bindings.Select(c => c!.StateKey));
        Assert.Equal(accounts.Order(), read.Accounts.Keys.Order());
        foreach (var (account, row) in read.Accounts)
        {
            Assert.All(read.Bindings.Select((column, i) => row.StateOf(i, column!)), cursors => Assert.True(cursors is { LastRun: not null } or { LastPass: not null }, account));
        }

        // Resumed from it: each incremental stream polls from its cursor, none reaches back to start_date.
        stripe.ClearRequests();
        await using var resumed = await InProcessCapture.StartAsync(Open(stripe, state), initialState: state);
        await resumed.WaitUntilAsync(_ => stripe.Requests.Count(r => r.Path == "/v1/charges") >= accounts.Count);
        Assert.Equal(0, await resumed.StopAsync());
        var start = Start.ToUnixTimeSeconds();
        Assert.All(stripe.Requests.Where(r => r.Path is "/v1/charges" or "/v1/customers"), r =>
            Assert.True(System.Web.HttpUtility.ParseQueryString(r.QueryString)["created[gte]"] is { } gte && long.Parse(gte, System.Globalization.CultureInfo.InvariantCulture) > start + 86_400,
                r.QueryString));
    }

    [Fact]
    public async Task Each_accounts_updates_and_deletes_arrive_from_its_own_events()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 2));
        await using var capture = await InProcessCapture.StartAsync(Open(stripe));
        var accounts = AllAccounts(stripe);
        await capture.WaitUntilAsync(CaughtUp(accounts));

        var changes = accounts.Select(account =>
        {
            var customers = stripe.AccountFor(account).Objects("customers").ToList();
            var updated = stripe.On(account).Update("customers", customers[0].Id, c => c["description"] = "changed on " + account);
            stripe.On(account).Delete("customers", customers[1].Id);
            return (Account: account, Updated: updated["id"]!.GetValue<string>(), Deleted: customers[1].Id);
        }).ToList();

        await capture.WaitUntilAsync(t => changes.All(c =>
            Has(t, c.Account, c.Updated, d => d["description"]?.GetValue<string>() == "changed on " + c.Account)
            && Has(t, c.Account, c.Deleted, d => d["_meta"]?["op"]?.GetValue<string>() == "d")));
        Assert.Equal(0, await capture.StopAsync());
    }

    [Fact]
    public async Task An_account_that_connects_mid_capture_is_backfilled_from_start_date()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 1));
        await using var capture = await InProcessCapture.StartAsync(Open(stripe));
        await capture.WaitUntilAsync(CaughtUp(AllAccounts(stripe)));

        var joined = stripe.ConnectAccount(new ConnectedAccountOptions { ObjectsPerStream = 12 });
        var accounts = AllAccounts(stripe);
        Assert.Contains(joined, accounts);
        await capture.WaitUntilAsync(CaughtUp(accounts));
        Assert.Equal(0, await capture.StopAsync());
        AssertAccounts(stripe, accounts, capture.Transcript.CommittedDocuments);
    }

    [Fact]
    public async Task An_account_that_disconnects_is_set_aside_without_failing_the_others_and_resumes_when_it_returns()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 2));
        await using var capture = await InProcessCapture.StartAsync(Open(stripe));
        var accounts = AllAccounts(stripe);
        await capture.WaitUntilAsync(CaughtUp(accounts));
        var (gone, stays) = (accounts[1], accounts[2]);

        stripe.DisconnectAccount(gone);
        var staying = stripe.AccountFor(stays).Objects("customers").First().Id;
        stripe.On(stays).Update("customers", staying, c => c["description"] = "while the other was away");
        await capture.WaitUntilAsync(t => Has(t, stays, staying, d => d["description"]?.GetValue<string>() == "while the other was away"));
        Assert.False(capture.Exit.IsCompleted, "the capture stopped when one connected account disconnected");

        stripe.ReconnectAccount(gone);
        var returning = stripe.AccountFor(gone).Objects("customers").First().Id;
        stripe.On(gone).Update("customers", returning, c => c["description"] = "after coming back");
        await capture.WaitUntilAsync(t => Has(t, gone, returning, d => d["description"]?.GetValue<string>() == "after coming back"));
        Assert.Equal(0, await capture.StopAsync());
    }

    [Fact]
    public async Task A_key_that_reads_the_platform_but_not_one_account_captures_every_other_account()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 3));
        var accounts = AllAccounts(stripe);
        stripe.ForbidAccount(accounts[2]);
        await using var capture = await InProcessCapture.StartAsync(Open(stripe));
        string[] readable = [accounts[0], accounts[1], accounts[3]];
        await capture.WaitUntilAsync(CaughtUp(readable));
        Assert.Equal(0, await capture.StopAsync());
        AssertAccounts(stripe, readable, capture.Transcript.CommittedDocuments);
    }

    [Fact]
    public async Task Turning_it_on_for_an_existing_capture_keeps_the_platforms_progress_and_backfills_the_connected_accounts()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(connected: 2));
        JsonNode before;
        await using (var platformOnly = await InProcessCapture.StartAsync(Open(stripe, connected: false)))
        {
            await platformOnly.WaitUntilAsync(CaughtUp([Platform]));
            Assert.Equal(0, await platformOnly.StopAsync());
            Assert.DoesNotContain(platformOnly.Transcript.Documents, d => d.Document.ContainsKey("account_id"));
            before = platformOnly.Transcript.State;
        }

        stripe.ClearRequests();
        await using var capture = await InProcessCapture.StartAsync(Open(stripe, before), initialState: before);
        var connected = stripe.ConnectedAccountIds;
        await capture.WaitUntilAsync(CaughtUp(AllAccounts(stripe)));
        Assert.Equal(0, await capture.StopAsync());
        AssertAccounts(stripe, connected, [.. capture.Transcript.CommittedDocuments.Where(d => d.Document["account_id"]!.GetValue<string>() != Platform)]);
        // The platform's incremental streams went on from their cursors (polls, events); only the connected
        // accounts' were read from start_date (invoice_line_items is a full refresh: each pass reads from there).
        var backfill = $"created[gte]={Start.ToUnixTimeSeconds()}&";
        bool IsBackfill(RecordedRequest r) => r.Path is "/v1/customers" or "/v1/charges" && Uri.UnescapeDataString(r.QueryString).Contains(backfill, StringComparison.Ordinal);
        Assert.DoesNotContain(stripe.Requests, r => r.StripeAccount == Platform && IsBackfill(r));
        Assert.All(connected, account => Assert.Contains(stripe.Requests, r => r.StripeAccount == account && IsBackfill(r)));
    }

    private static bool Has(CaptureTranscript transcript, string account, string id, Func<JsonObject, bool> condition) =>
        transcript.Documents.Any(d => d.Document["id"]?.GetValue<string>() == id && d.Document["account_id"]?.GetValue<string>() == account && condition(d.Document));
}
