using System.Net;
using System.Text.Json;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Simulator;

/// <summary>The platform's <c>/v1/accounts</c> and its <c>account.application.*</c> events as accounts connect,
/// disconnect and come back.</summary>
public sealed class ConnectedAccountsLifecycleTests
{
    [Fact]
    public async Task The_platform_lists_its_connected_accounts_newest_first_with_filters_and_pages()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 7));
        using var http = new ConnectedHttp(stripe);
        var listed = stripe.Account.Objects("accounts");
        Assert.Equal(stripe.ConnectedAccountIds.Order(StringComparer.Ordinal), listed.Select(a => a.Id).Order(StringComparer.Ordinal));
        Assert.Equal(listed.Select(a => a.Created).OrderDescending(), listed.Select(a => a.Created));

        Assert.Equal(listed.Select(a => a.Id), await http.AllIds("/v1/accounts", limit: 2));
        var middle = listed[3].Created;
        Assert.Equal(listed.Where(a => a.Created >= middle).Select(a => a.Id), await http.AllIds($"/v1/accounts?created[gte]={middle}", limit: 2));

        var (_, first) = await http.Get($"/v1/accounts/{listed[0].Id}");
        Assert.Equal(listed[0].Id, first.GetProperty("id").GetString());
        Assert.Equal(listed[0].Created, first.GetProperty("created").GetInt64());
        var persons = (await http.Get($"/v1/accounts/{listed[0].Id}/persons")).Body.GetProperty("data");
        Assert.NotEmpty(persons.EnumerateArray());
        Assert.All(persons.EnumerateArray(), p => Assert.Equal(listed[0].Id, p.GetProperty("account").GetString()));
    }

    [Fact]
    public async Task Accounts_connect_disconnect_and_reconnect_with_the_platforms_events()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 0));
        using var http = new ConnectedHttp(stripe);
        Assert.NotEmpty(await http.Ids("/v1/accounts"));
        Assert.Empty(stripe.ConnectedAccountIds);

        var id = stripe.ConnectAccount(new ConnectedAccountOptions { ObjectsPerStream = 4 });
        Assert.Equal([id], stripe.ConnectedAccountIds);
        var (_, accounts) = await http.Get("/v1/accounts");
        Assert.Equal([id], accounts.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
        Assert.Equal(ConnectedHttp.Now.ToUnixTimeSeconds(), accounts.GetProperty("data")[0].GetProperty("created").GetInt64());
        var authorized = await NewestEvent(http);
        AssertApplicationEvent(authorized, "account.application.authorized", id);
        var charges = await http.Ids("/v1/charges?limit=100", id);
        Assert.Equal(4, charges.Count);

        stripe.DisconnectAccount(id);
        var (status, refusal) = await http.Get("/v1/charges?limit=100", id);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("account_invalid", refusal.GetProperty("error").GetProperty("code").GetString());
        Assert.Empty(await http.Ids("/v1/accounts"));
        Assert.Empty(stripe.ConnectedAccountIds);
        var deauthorized = await NewestEvent(http);
        AssertApplicationEvent(deauthorized, "account.application.deauthorized", id);
        Assert.Equal(authorized.GetProperty("data").GetProperty("object").GetProperty("id").GetString(),
            deauthorized.GetProperty("data").GetProperty("object").GetProperty("id").GetString());

        stripe.ReconnectAccount(id);
        Assert.Equal(charges, await http.Ids("/v1/charges?limit=100", id));
        Assert.Equal([id], await http.Ids("/v1/accounts"));
        Assert.Equal([id], stripe.ConnectedAccountIds);
        var again = await NewestEvent(http);
        AssertApplicationEvent(again, "account.application.authorized", id);
        Assert.NotEqual(authorized.GetProperty("id").GetString(), again.GetProperty("id").GetString());
        Assert.Equal(3, (await http.Ids("/v1/events?type=account.application.*&limit=100")).Count);
    }

    [Fact]
    public async Task Configured_accounts_connected_within_the_retention_announced_it()
    {
        await using var stripe = await StripeSimulator.StartAsync(ConnectedHttp.Options(accounts: 40));
        var retained = (ConnectedHttp.Now - SimulatorAccount.EventRetention).ToUnixTimeSeconds();
        var recent = stripe.Account.Objects("accounts").Where(a => a.Created >= retained).Select(a => a.Id).ToHashSet();
        var announced = stripe.Account.Events.Where(e => e.EventType == "account.application.authorized")
            .Select(e => JsonDocument.Parse(e.Utf8).RootElement.GetProperty("account").GetString()!).ToHashSet();
        Assert.NotEmpty(recent);
        Assert.Equal(recent, announced);
    }

    [Fact]
    public async Task The_demo_can_serve_a_platform_with_small_connected_accounts()
    {
        Assert.Empty(DemoAccount.Options().ConnectedAccounts);
        await using var demo = await DemoAccount.StartAsync(objectsPerStream: 5, connectedAccounts: 3);
        Assert.Equal(3, demo.ConnectedAccountIds.Count);
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", demo.SecretKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(demo.BaseUrl, "/v1/charges?limit=100"));
        request.Headers.Add("Stripe-Account", demo.ConnectedAccountIds[2]);
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var page = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(DemoAccount.ConnectedObjectsPerStream, page.RootElement.GetProperty("data").GetArrayLength());
    }

    private static async Task<JsonElement> NewestEvent(ConnectedHttp http) =>
        (await http.Get("/v1/events?limit=1")).Body.GetProperty("data")[0];

    private static void AssertApplicationEvent(JsonElement e, string type, string account)
    {
        Assert.Equal(type, e.GetProperty("type").GetString());
        Assert.Equal(account, e.GetProperty("account").GetString());
        var application = e.GetProperty("data").GetProperty("object");
        Assert.Equal("application", application.GetProperty("object").GetString());
        Assert.StartsWith("ca_", application.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal(ConnectedHttp.Now.ToUnixTimeSeconds(), e.GetProperty("created").GetInt64());
    }
}
