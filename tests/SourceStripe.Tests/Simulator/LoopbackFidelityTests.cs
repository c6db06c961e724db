using System.Net.Http.Headers;
using System.Text;
using SourceStripe.Simulator;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Simulator;

/// <summary>The binary's loopback server and the tests' Kestrel simulator are two transports over one core: for the
/// same account and clock they must answer every request alike, byte for byte.</summary>
public sealed class LoopbackFidelityTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static SimulatorOptions Options() => new() { Seed = 11, ObjectsPerStream = 40, Clock = () => Now };

    private sealed record Call(string Method, string PathAndQuery, int Status, bool Authorized = true, string? Account = "acct_simulator",
        string? Version = null, string? Basic = null);

    [Fact]
    public async Task The_loopback_server_answers_as_the_kestrel_simulator_does_byte_for_byte()
    {
        await using var kestrel = await StripeSimulator.StartAsync(Options());
        await using var loopback = LoopbackServer.Start(new SimulatedStripeApi(Options()));
        var account = kestrel.Account;
        var charges = account.Objects("charges");
        var (newest, oldest) = (charges[3].Created, charges[^3].Created);
        var customer = account.Objects("customers").First(c => account.Children("bank_accounts", c.Id).Count > 0).Id;
        var invoice = account.Objects("invoices").First(i => account.Children("invoice_line_items", i.Id).Count > 0).Id;
        Assert.Contains(account.VisibleEvents, e => e.EventType is "customer.created" or "charge.succeeded");
        Call[] calls =
        [
            new("GET", $"/v1/charges?limit=3&created[gte]={oldest}&created[lt]={newest}", 200),
            new("GET", $"/v1/charges?limit=3&created[gte]={oldest}&created[lt]={newest}&starting_after={charges[5].Id}", 200),
            new("GET", $"/v1/customers/{customer}/sources?object=bank_account&limit=10", 200),
            new("GET", $"/v1/invoices/{invoice}/lines?limit=2", 200),
            new("GET", $"/v1/customers/{customer}", 200, Version: StripeApiVersion.Pinned),
            new("GET", $"/v1/charges/{charges[0].Id}?expand[]=customer", 200),
            new("GET", "/v1/events?types[]=customer.created&types[]=charge.succeeded&limit=5", 200),
            new("GET", "/v1/subscriptions?status=all&limit=1", 200, Basic: "sk_test_simulator:"),
            new("GET", "/v1/charges?limit=1", 401, Authorized: false),
            new("GET", "/v1/charges?limit=1", 401, Basic: "sk_test_wrong_key_0000:"),
            new("GET", "/v1/nothing/here", 404),
            new("POST", "/v1/charges", 404),
            new("GET", "/v1/charges?limit=1000", 400),
            new("GET", "/v1/charges?limit=1", 400, Version: "yesterday"),
            new("GET", "/v1/charges?limit=1", 403, Account: "acct_someone_else"),
            new("GET", "/v1/customers/cus_missing", 404),
        ];

        using var http = new HttpClient();
        foreach (var call in calls)
        {
            var (kestrelStatus, kestrelHeaders, kestrelBody) = await SendAsync(http, kestrel.BaseUrl, call);
            var (loopbackStatus, loopbackHeaders, loopbackBody) = await SendAsync(http, loopback.BaseUrl, call);
            var what = $"{call.Method} {call.PathAndQuery}";
            Assert.Equal(call.Status, kestrelStatus);
            Assert.Equal(kestrelStatus, loopbackStatus);
            Assert.True(kestrelBody.AsSpan().SequenceEqual(loopbackBody),
                $"{what}:\nkestrel  {Encoding.UTF8.GetString(kestrelBody)}\nloopback {Encoding.UTF8.GetString(loopbackBody)}");
            Assert.Equal(kestrelHeaders, loopbackHeaders);
        }
    }

    /// <summary>Status, the headers the core sets (Content-Length and the transport's own left out), and the body.</summary>
    private static async Task<(int Status, string Headers, byte[] Body)> SendAsync(HttpClient http, Uri baseUrl, Call call)
    {
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), new Uri(baseUrl, call.PathAndQuery));
        if (call.Basic is { } basic)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
        }
        else if (call.Authorized)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk_test_simulator");
        }
        if (call.Account is { } onBehalfOf)
        {
            request.Headers.Add("Stripe-Account", onBehalfOf);
        }
        if (call.Version is { } version)
        {
            request.Headers.TryAddWithoutValidation("Stripe-Version", version);
        }
        if (call.Method == "POST")
        {
            request.Content = new StringContent("amount=100&currency=usd", Encoding.UTF8, "application/x-www-form-urlencoded");
        }
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        string[] names = ["Request-Id", "Stripe-Version", "Cache-Control", "Date", "Content-Type"];
        var headers = string.Join("\n", names.Select(n => $"{n}: {string.Join(",", Values(response, n))}"));
        return ((int)response.StatusCode, headers, body);
    }

    private static IEnumerable<string> Values(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values
        : response.Content.Headers.TryGetValues(name, out var contentValues) ? contentValues : [];
}
