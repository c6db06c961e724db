using System.Collections.Concurrent;
using System.Net;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Simulator;

/// <summary>A platform of 100,000 connected accounts described by a <see cref="ConnectedAccountPopulation"/>: listed from
/// the seed, each account's data generated when read, dropped and generated again identically.</summary>
public sealed class ConnectedAccountPopulationTests
{
    [Fact]
    public async Task A_hundred_thousand_accounts_list_once_each_newest_first_page_by_page_and_in_created_slices()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(100_000) with { WireFormat = WireFormat.Compact });
        using var http = new ConnectedHttp(stripe);

        var listed = await http.AllAccounts("/v1/accounts");
        Assert.Equal(100_000, listed.Count);
        Assert.Equal(listed.Count, listed.Select(a => a.Id).Distinct().Count());
        Assert.Equal(stripe.ConnectedAccountIds.Order(StringComparer.Ordinal), listed.Select(a => a.Id).Order(StringComparer.Ordinal));
        Assert.True(listed.Zip(listed.Skip(1)).All(pair => pair.First.Created > pair.Second.Created
            || (pair.First.Created == pair.Second.Created && string.CompareOrdinal(pair.First.Id, pair.Second.Id) > 0)));
        Assert.DoesNotContain(stripe.Requests, r => r.StripeAccount is not null);
        Assert.Equal(0, stripe.GeneratedConnectedAccounts);

        // As the connector lists them: slices of the creation range, in parallel, each paged on its own.
        var (oldest, newest) = (listed[^1].Created, listed[0].Created + 1);
        var bounds = Enumerable.Range(0, 8).Select(k => oldest + ((newest - oldest) * k / 7)).ToList();
        var found = new ConcurrentBag<(string Id, long Created)>();
        await Parallel.ForEachAsync(bounds.Zip(bounds.Skip(1)), async (slice, _) =>
        {
            using var sliceHttp = new ConnectedHttp(stripe);
            foreach (var account in await sliceHttp.AllAccounts($"/v1/accounts?created[gte]={slice.First}&created[lt]={slice.Second}"))
            {
                Assert.InRange(account.Created, slice.First, slice.Second - 1);
                found.Add(account);
            }
        });
        Assert.Equal(listed.OrderBy(a => a.Id, StringComparer.Ordinal), found.OrderBy(a => a.Id, StringComparer.Ordinal));

        // Backwards from the middle, ending_before gives the same pages.
        var middle = listed[50_000].Id;
        var (_, before) = await http.Get($"/v1/accounts?limit=100&ending_before={middle}");
        Assert.Equal(listed[49_900..50_000].Select(a => a.Id), before.GetProperty("data").EnumerateArray().Select(a => a.GetProperty("id").GetString()));
        Assert.True(before.GetProperty("has_more").GetBoolean());
    }

    [Fact]
    public async Task A_dropped_account_is_generated_again_with_byte_identical_answers()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(1_000) with
        {
            ConnectedAccountPopulation = Population(1_000) with { GeneratedAccountsKept = 2 },
        });
        using var http = new ConnectedHttp(stripe);
        var ids = stripe.ConnectedAccountIds;
        var first = await http.Raw("/v1/charges?limit=100", ids[7]);
        var events = await http.Raw("/v1/events?limit=100", ids[7]);
        Assert.Equal(1, stripe.GeneratedConnectedAccounts);

        await http.Raw("/v1/charges", ids[8]);
        await http.Raw("/v1/charges", ids[9]);
        Assert.Equal(3, stripe.GeneratedConnectedAccounts);
        Assert.Equal(first, await http.Raw("/v1/charges?limit=100", ids[7]));
        Assert.Equal(4, stripe.GeneratedConnectedAccounts);
        Assert.Equal(events, await http.Raw("/v1/events?limit=100", ids[7]));

        // A changed account stays: its change is not lost to a regeneration.
        var customer = stripe.On(ids[8]).Create("customers")["id"]!.GetValue<string>();
        await http.Raw("/v1/charges", ids[10]);
        await http.Raw("/v1/charges", ids[11]);
        Assert.Contains(customer, await http.Ids("/v1/customers?limit=100", ids[8]));
    }

    [Fact]
    public async Task A_population_account_disconnects_and_reconnects_as_a_configured_one_does()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(300) with { ConnectedAccounts = [new ConnectedAccountOptions { ObjectsPerStream = 2 }] });
        using var http = new ConnectedHttp(stripe);
        var before = await http.AllAccounts("/v1/accounts");
        Assert.Equal(301, before.Count);
        var (id, created) = before[120];
        var charges = await http.Ids("/v1/charges?limit=100", id);
        Assert.Equal(3, charges.Count);
        var persons = await http.Raw($"/v1/accounts/{id}/persons");
        Assert.Equal(persons, await http.Raw($"/v1/accounts/{id}/persons"));

        stripe.DisconnectAccount(id);
        var (status, refusal) = await http.Get("/v1/charges", id);
        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal("account_invalid", refusal.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before.Where(a => a.Id != id), await http.AllAccounts("/v1/accounts"));
        Assert.Equal(HttpStatusCode.NotFound, (await http.Get($"/v1/accounts/{id}")).Status);
        // Its id stays a cursor, at its old place.
        Assert.Equal(before[121].Id, (await http.Ids($"/v1/accounts?limit=1&starting_after={id}"))[0]);
        Assert.DoesNotContain(id, stripe.ConnectedAccountIds);

        stripe.ReconnectAccount(id);
        var after = await http.AllAccounts("/v1/accounts");
        Assert.Equal((id, ConnectedHttp.Now.ToUnixTimeSeconds()), after[0]);
        Assert.Equal(before.Where(a => a.Id != id), after.Skip(1));
        Assert.Equal(charges, await http.Ids("/v1/charges?limit=100", id));
        Assert.NotEqual(created, after[0].Created);
        var types = (await http.Get("/v1/events?limit=2")).Body.GetProperty("data").EnumerateArray()
            .Select(e => (e.GetProperty("type").GetString(), e.GetProperty("account").GetString())).ToList();
        Assert.Equal([("account.application.authorized", id), ("account.application.deauthorized", id)], types);

        var mangled = id[..^1] + (id[^1] == 'a' ? 'b' : 'a');
        Assert.Equal(HttpStatusCode.Forbidden, (await http.Get("/v1/charges", mangled)).Status);

        var forbidden = before[200].Id;
        stripe.ForbidAccount(forbidden);
        var (forbiddenStatus, permission) = await http.Get("/v1/charges", forbidden);
        Assert.Equal(HttpStatusCode.Forbidden, forbiddenStatus);
        Assert.Contains("required permissions", permission.GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Contains(forbidden, (await http.AllAccounts("/v1/accounts")).Select(a => a.Id));
    }

    [Fact]
    public async Task Members_connected_within_the_retention_announced_it_and_a_members_changes_reach_connect_webhooks()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var options = Options(2_000) with
        {
            Webhooks = new SourceStripe.Simulator.Webhooks.WebhookOptions
            {
                Destinations = [new SourceStripe.Simulator.Webhooks.WebhookDestination { Url = receiver.Url("/connect"), Secrets = ["whsec_population"], Connect = true }],
            },
        };
        await using var stripe = await StripeSimulator.StartAsync(options);
        using var http = new ConnectedHttp(stripe);
        var retained = (ConnectedHttp.Now - SimulatorAccount.EventRetention).ToUnixTimeSeconds();
        var recent = (await http.AllAccounts("/v1/accounts")).Where(a => a.Created >= retained).Select(a => a.Id).ToHashSet();
        var announced = stripe.Account.Events.Where(e => e.EventType == "account.application.authorized")
            .Select(e => e.ToJsonObject()["account"]!.GetValue<string>()).ToHashSet();
        Assert.NotEmpty(recent);
        Assert.Equal(recent, announced);

        var member = stripe.ConnectedAccountIds[1_234];
        stripe.On(member).Create("customers");
        stripe.DisconnectAccount(member);
        var delivered = await stripe.WebhookAttempts.WaitForDeliveredAsync(2, WebhookDeliveryTests.Patience);
        Assert.Equal(["account.application.deauthorized", "customer.created"],
            receiver.Received.Select(r => r.Json.GetProperty("type").GetString()).Order(StringComparer.Ordinal));
        Assert.All(receiver.Received, r => Assert.Equal(member, r.Json.GetProperty("account").GetString()));
        Assert.Equal(2, delivered.Count);
    }

    internal static ConnectedAccountPopulation Population(int count) => new()
    {
        Count = count,
        Each = new ConnectedAccountOptions { ObjectsPerStream = 1, ObjectCounts = new Dictionary<string, int> { ["charges"] = 3 } },
    };

    internal static SimulatorOptions Options(int count) => new()
    {
        Seed = 5,
        ObjectsPerStream = 1,
        Clock = () => ConnectedHttp.Now,
        // Thousands of pages as fast as loopback goes: Stripe's limits are not what these tests are about.
        RateLimits = null,
        ConnectedAccountPopulation = Population(count),
    };
}

/// <summary>Reads of a platform's accounts and of raw answers, for the population's tests.</summary>
internal static class PopulationReads
{
    /// <summary>Every account a list gives, paged 100 at a time with <c>starting_after</c>, in the order given.</summary>
    public static async Task<List<(string Id, long Created)>> AllAccounts(this ConnectedHttp http, string path)
    {
        var all = new List<(string Id, long Created)>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        while (true)
        {
            var after = all.Count == 0 ? "" : $"&starting_after={all[^1].Id}";
            var (status, body) = await http.Get($"{path}{separator}limit=100{after}");
            Assert.Equal(HttpStatusCode.OK, status);
            all.AddRange(body.GetProperty("data").EnumerateArray().Select(a => (a.GetProperty("id").GetString()!, a.GetProperty("created").GetInt64())));
            if (!body.GetProperty("has_more").GetBoolean())
            {
                return all;
            }
        }
    }

    /// <summary>A successful answer's body as sent.</summary>
    public static async Task<string> Raw(this ConnectedHttp http, string pathAndQuery, string? account = null)
    {
        var (status, body) = await http.Get(pathAndQuery, account);
        Assert.Equal(HttpStatusCode.OK, status);
        return body.GetRawText();
    }
}
