using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Simulator;

/// <summary>A platform key's requests to the simulator over loopback, for one account or another.</summary>
internal sealed class ConnectedHttp : IDisposable
{
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly HttpClient _http = new();
    private readonly StripeSimulator _stripe;

    public ConnectedHttp(StripeSimulator stripe)
    {
        _stripe = stripe;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk_live_simulator");
    }

    /// <summary>Options of a platform with <paramref name="accounts"/> connected accounts of 5 objects a stream.</summary>
    public static SimulatorOptions Options(int accounts, int seed = 11) => new()
    {
        Seed = seed,
        ObjectsPerStream = 5,
        Clock = () => Now,
        ConnectedAccounts = [.. Enumerable.Repeat(new ConnectedAccountOptions { ObjectsPerStream = 5 }, accounts)],
    };

    /// <summary>GET with <c>Stripe-Account</c> = <paramref name="account"/> (none when null): the status and the body.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Body)> Get(string pathAndQuery, string? account = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_stripe.BaseUrl, pathAndQuery));
        if (account is not null)
        {
            request.Headers.Add("Stripe-Account", account);
        }
        using var response = await _http.SendAsync(request);
        using var document = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync());
        return (response.StatusCode, document.RootElement.Clone());
    }

    /// <summary>The ids of a list's first page.</summary>
    public async Task<List<string>> Ids(string pathAndQuery, string? account = null)
    {
        var (status, body) = await Get(pathAndQuery, account);
        Assert.Equal(HttpStatusCode.OK, status);
        return [.. body.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()!)];
    }

    /// <summary>Every id of a list, paged with <c>starting_after</c>.</summary>
    public async Task<List<string>> AllIds(string path, string? account = null, int limit = 100)
    {
        var all = new List<string>();
        var separator = path.Contains('?', StringComparison.Ordinal) ? '&' : '?';
        while (true)
        {
            var after = all.Count == 0 ? "" : $"&starting_after={all[^1]}";
            var (status, body) = await Get($"{path}{separator}limit={limit}{after}", account);
            Assert.Equal(HttpStatusCode.OK, status);
            all.AddRange(body.GetProperty("data").EnumerateArray().Select(o => o.GetProperty("id").GetString()!));
            if (!body.GetProperty("has_more").GetBoolean())
            {
                return all;
            }
        }
    }

    public void Dispose() => _http.Dispose();
}
