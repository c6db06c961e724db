using System.Net;
using System.Text.Json;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Simulator;

/// <summary>Stripe Connect in the simulator: each request reads the account its <c>Stripe-Account</c> header names,
/// every account is a whole account of its own, and accounts are generated only when first read.</summary>
public sealed class ConnectedAccountsTests
{
    [Fact]
    public async Task The_stripe_account_header_picks_the_account_a_request_reads()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 2));
        using var http = new ConnectedHttp(stripe);
        var platform = stripe.Account.AccountId;
        var a = stripe.ConnectedAccountIds[0];
        var own = stripe.AccountFor(a);

        Assert.Equal(Ids(stripe.Account, "charges"), await http.Ids("/v1/charges?limit=100"));
        Assert.Equal(Ids(stripe.Account, "charges"), await http.Ids("/v1/charges?limit=100", platform));
        Assert.Equal(Ids(own, "charges"), await http.Ids("/v1/charges?limit=100", a));
        Assert.Same(stripe.Account, stripe.AccountFor(platform));

        var charge = own.Objects("charges")[0].Id;
        Assert.Equal(HttpStatusCode.OK, (await http.Get($"/v1/charges/{charge}", a)).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.Get($"/v1/charges/{charge}")).Status);
        var customer = own.Objects("customers").First(c => own.Children("bank_accounts", c.Id).Count > 0).Id;
        Assert.Equal(Ids(own, "bank_accounts", customer), await http.Ids($"/v1/customers/{customer}/sources?object=bank_account", a));
        Assert.Equal(Ids(own, "events").Take(100), await http.Ids("/v1/events?limit=100", a));

        Assert.Equal([null, platform, a, a, null, a, a], stripe.Requests.Select(r => r.StripeAccount));
    }

    [Fact]
    public async Task No_account_lists_or_shares_another_accounts_objects()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 2));
        using var http = new ConnectedHttp(stripe);
        var accounts = stripe.ConnectedAccountIds.Prepend(stripe.Account.AccountId).Select(stripe.AccountFor).ToList();
        foreach (var stream in new[] { "customers", "charges", "invoices", "subscription_items", "invoice_line_items", "events" })
        {
            var ids = accounts.SelectMany(account => account.Objects(stream).Select(o => o.Id)).ToList();
            Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
        }
        foreach (var id in stripe.ConnectedAccountIds)
        {
            var charges = await http.AllIds("/v1/charges", id, limit: 2);
            Assert.Equal(Ids(stripe.AccountFor(id), "charges"), charges);
            Assert.NotEmpty(charges);
        }
    }

    [Fact]
    public async Task Each_account_has_its_own_events_marked_with_its_id()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 2));
        using var http = new ConnectedHttp(stripe);
        var a = stripe.ConnectedAccountIds[0];

        var generated = (await http.Get("/v1/events?limit=100", a)).Body.GetProperty("data");
        Assert.NotEmpty(generated.EnumerateArray());
        Assert.All(generated.EnumerateArray(), e => Assert.Equal(a, e.GetProperty("account").GetString()));

        var created = stripe.On(a).Create("customers", c => c["email"] = "connected@example.com");
        var platformCustomer = stripe.Create("customers");
        var (_, events) = await http.Get("/v1/events?limit=1&type=customer.created", a);
        var newest = events.GetProperty("data")[0];
        Assert.Equal(created["id"]!.GetValue<string>(), newest.GetProperty("data").GetProperty("object").GetProperty("id").GetString());
        Assert.Equal(a, newest.GetProperty("account").GetString());
        Assert.Contains(created["id"]!.GetValue<string>(), await http.Ids("/v1/customers?limit=100", a));
        Assert.DoesNotContain(created["id"]!.GetValue<string>(), await http.Ids("/v1/customers?limit=100"));

        var (_, platformEvents) = await http.Get("/v1/events?limit=1&type=customer.created");
        var platformNewest = platformEvents.GetProperty("data")[0];
        Assert.Equal(platformCustomer["id"]!.GetValue<string>(), platformNewest.GetProperty("data").GetProperty("object").GetProperty("id").GetString());
        Assert.Equal(JsonValueKind.Null, platformNewest.GetProperty("account").ValueKind);
        Assert.DoesNotContain(stripe.Account.Events, e => e.ToString().Contains(created["id"]!.GetValue<string>(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_account_the_key_cannot_reach_answers_as_stripe_does()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 1));
        using var http = new ConnectedHttp(stripe);
        var (status, body) = await http.Get("/v1/charges?limit=1", "acct_1NotConnectedHere");
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var error = body.GetProperty("error");
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.Equal("account_invalid", error.GetProperty("code").GetString());
        Assert.Equal("The provided key 'sk_live_*****ator' does not have access to account 'acct_1NotConnectedHere' (or that account does not exist). "
            + "Application access may have been revoked.", error.GetProperty("message").GetString());
        // A connected account is not a platform: its own /v1/accounts is Connect's 403.
        var (accounts, refusal) = await http.Get("/v1/accounts", stripe.ConnectedAccountIds[0]);
        Assert.Equal(HttpStatusCode.Forbidden, accounts);
        Assert.StartsWith("Only Stripe Connect platforms", refusal.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_forbidden_account_answers_a_restricted_keys_403_and_stays_listed()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 2));
        using var http = new ConnectedHttp(stripe);
        var (a, b) = (stripe.ConnectedAccountIds[0], stripe.ConnectedAccountIds[1]);
        stripe.ForbidAccount(a);

        var (status, body) = await http.Get("/v1/charges?limit=1", a);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        var message = body.GetProperty("error").GetProperty("message").GetString()!;
        Assert.Contains($"on account '{a}'", message, StringComparison.Ordinal);
        Assert.Contains("'rak_charge_read'", message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.Get("/v1/charges?limit=1", b)).Status);
        Assert.Equal(HttpStatusCode.OK, (await http.Get("/v1/charges?limit=1")).Status);
        Assert.Contains(a, await http.Ids("/v1/accounts?limit=100"));
        Assert.Contains(a, stripe.ConnectedAccountIds);
    }

    [Fact]
    public async Task The_same_options_give_the_same_accounts()
    {
        await using var one = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 3));
        await using var two = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 3));
        await using var other = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 3, seed: 12));
        Assert.Equal(one.ConnectedAccountIds, two.ConnectedAccountIds);
        Assert.All(one.ConnectedAccountIds, id => Assert.Matches("^acct_[0-9A-Za-z]{16}$", id));
        Assert.Empty(one.ConnectedAccountIds.Intersect(other.ConnectedAccountIds));
        var id = one.ConnectedAccountIds[2];
        Assert.Equal(one.AccountFor(id).Objects("invoices").Select(o => o.ToString()), two.AccountFor(id).Objects("invoices").Select(o => o.ToString()));
        Assert.Equal(one.AccountFor(id).Events.Select(o => o.ToString()), two.AccountFor(id).Events.Select(o => o.ToString()));
        Assert.Equal(one.Account.Objects("accounts").Select(o => o.ToString()), two.Account.Objects("accounts").Select(o => o.ToString()));
    }

    [Fact]
    public async Task A_thousand_accounts_start_without_generating_any()
    {
        var options = ConnectedHttp.Options(accounts: 1000) with { ObjectsPerStream = 2 };
        await using var stripe = await StripeSimulator.StartAsync(options);
        using var http = new ConnectedHttp(stripe);
        Assert.Equal(1000, stripe.ConnectedAccountIds.Count);
        Assert.Equal(0, stripe.GeneratedConnectedAccounts);

        Assert.Equal(1000, (await http.AllIds("/v1/accounts")).Count);
        Assert.Equal(0, stripe.GeneratedConnectedAccounts);

        var id = stripe.ConnectedAccountIds[500];
        Assert.NotEmpty(await http.Ids("/v1/charges?limit=3", id));
        Assert.NotEmpty(await http.Ids("/v1/customers?limit=3", id));
        Assert.Equal(1, stripe.GeneratedConnectedAccounts);
    }

    private static List<string> Ids(SimulatorAccount account, string stream, string? parent = null) =>
        [.. (parent is null ? account.Objects(stream) : account.Children(stream, parent)).Select(o => o.Id)];
}
