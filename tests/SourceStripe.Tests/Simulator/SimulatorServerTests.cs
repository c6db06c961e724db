using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SourceStripe.Simulator;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Simulator;

/// <summary>The simulator's one server as tests and the benchmark drive it: Stripe's answers, injected faults on the
/// wire, HTTPS, and latency that holds no other request up.</summary>
public sealed class SimulatorServerTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static SimulatorOptions Options() => new() { Seed = 11, ObjectsPerStream = 40, Clock = () => Now };

    private static HttpClient Client(HttpMessageHandler? handler = null)
    {
        var http = new HttpClient(handler ?? new SocketsHttpHandler());
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk_live_simulator");
        return http;
    }

    [Fact]
    public async Task Requests_get_stripes_statuses_and_headers()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        var account = stripe.Account;
        var charges = account.Objects("charges");
        var customer = account.Objects("customers").First(c => account.Children("bank_accounts", c.Id).Count > 0).Id;
        (string PathAndQuery, HttpStatusCode Status)[] calls =
        [
            ($"/v1/charges?limit=3&starting_after={charges[5].Id}", HttpStatusCode.OK),
            ($"/v1/customers/{customer}/sources?object=bank_account&limit=10", HttpStatusCode.OK),
            ($"/v1/charges/{charges[0].Id}?expand[]=customer", HttpStatusCode.OK),
            ("/v1/subscription_items?limit=1", HttpStatusCode.BadRequest),
            ("/v1/charges?limit=1&colour=red", HttpStatusCode.BadRequest),
            ("/v1/nothing/here", HttpStatusCode.NotFound),
            ("/v1/customers/cus_missing", HttpStatusCode.NotFound),
        ];
        using var http = Client();
        foreach (var (pathAndQuery, status) in calls)
        {
            using var response = await http.GetAsync(new Uri(stripe.BaseUrl, pathAndQuery));
            Assert.Equal(status, response.StatusCode);
            Assert.StartsWith("req_", response.Headers.GetValues("Request-Id").Single(), StringComparison.Ordinal);
            Assert.Equal(StripeApiVersion.Pinned, response.Headers.GetValues("Stripe-Version").Single());
            Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        }
        Assert.Equal(calls.Select(c => (int)c.Status), stripe.Requests.Select(r => r.Status));
        Assert.Equal("limit=1&colour=red", stripe.Requests[4].QueryString);
        Assert.Equal("Bearer sk_live_simulator", stripe.Requests[0].Headers["authorization"]);
    }

    [Fact]
    public async Task Injected_faults_reach_the_wire_as_a_gateway_or_a_broken_network_would_send_them()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        using var http = Client();
        var url = new Uri(stripe.BaseUrl, "/v1/charges?limit=5");

        stripe.InjectFault(Fault.RateLimited() with { RetryAfter = TimeSpan.FromSeconds(2), ShouldRetry = true });
        using (var limited = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, limited.StatusCode);
            Assert.Equal("2", limited.Headers.GetValues("Retry-After").Single());
            Assert.Equal("true", limited.Headers.GetValues("Stripe-Should-Retry").Single());
            Assert.Contains("\"rate_limit\"", await limited.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        stripe.InjectFault(Fault.GatewayHtml(503));
        using (var gateway = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, gateway.StatusCode);
            Assert.Equal("text/html", gateway.Content.Headers.ContentType!.MediaType);
            Assert.StartsWith("<html>", await gateway.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        stripe.InjectFault(Fault.Malformed());
        using (var malformed = await http.GetAsync(url))
        {
            var body = await malformed.Content.ReadAsByteArrayAsync();
            Assert.Equal(HttpStatusCode.OK, malformed.StatusCode);
            Assert.Equal(body.Length, malformed.Content.Headers.ContentLength);
            Assert.ThrowsAny<System.Text.Json.JsonException>(() => System.Text.Json.JsonDocument.Parse(body));
        }

        stripe.InjectFault(Fault.Truncate());
        await Assert.ThrowsAnyAsync<HttpRequestException>(async () => await http.GetByteArrayAsync(url));

        stripe.InjectFault(Fault.Drop() with { PathPrefix = "/v1/charges" });
        // .NET's client resends a request whose connection closed before any byte of an answer: the server saw both.
        using (var resent = await http.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, resent.StatusCode);
        }
        Assert.Equal([429, 503, 200, 200, 0, 200], stripe.Requests.Select(r => r.Status));
    }

    [Fact]
    public async Task A_request_over_a_limit_gets_429_rate_limit_naming_the_limiter_and_a_lock_timeout_names_none()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options() with { RateLimits = new RateLimits { GlobalPerSecond = 1 } });
        using var http = Client();

        // Over a limit of one a second, the second of two requests is refused unless a whole second passed between them.
        async Task<(HttpResponseMessage Response, string Body)> FirstRefused(string pathAndQuery)
        {
            for (var i = 0; i < 10; i++)
            {
                var response = await http.GetAsync(new Uri(stripe.BaseUrl, pathAndQuery));
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    return (response, await response.Content.ReadAsStringAsync());
                }
                response.Dispose();
            }
            throw new InvalidOperationException($"no 429 from {pathAndQuery} in 10 requests");
        }

        var (global, globalBody) = await FirstRefused("/v1/charges?limit=1");
        using (global)
        {
            Assert.Equal(RateLimitReasons.GlobalRate, global.Headers.GetValues(RateLimitReasons.Header).Single());
            using var json = System.Text.Json.JsonDocument.Parse(globalBody);
            Assert.Equal("rate_limit", json.RootElement.GetProperty("error").GetProperty("code").GetString());
            Assert.Equal("application/json", global.Content.Headers.ContentType!.MediaType);
        }
        Assert.Equal(RateLimitReasons.GlobalRate, stripe.Requests[^1].RateLimitedReason);
        Assert.Equal("GET /v1/charges", stripe.Requests[^1].Endpoint);

        stripe.RateLimits = new RateLimits { GlobalPerSecond = 100, EndpointPerSecond = 1 };
        var customer = stripe.Account.Objects("customers")[0].Id;
        var (endpoint, _) = await FirstRefused($"/v1/customers/{customer}");
        using (endpoint)
        {
            Assert.Equal(RateLimitReasons.EndpointRate, endpoint.Headers.GetValues(RateLimitReasons.Header).Single());
        }
        Assert.Equal("GET /v1/customers/{id}", stripe.Requests[^1].Endpoint);

        stripe.RateLimits = null;
        stripe.InjectFault(Fault.LockTimeout());
        stripe.InjectFault(Fault.RateLimited(reason: null));
        foreach (var code in new[] { "lock_timeout", "rate_limit" })
        {
            using var unnamed = await http.GetAsync(new Uri(stripe.BaseUrl, "/v1/charges?limit=1"));
            Assert.Equal(HttpStatusCode.TooManyRequests, unnamed.StatusCode);
            Assert.False(unnamed.Headers.Contains(RateLimitReasons.Header));
            Assert.Contains($"\"{code}\"", await unnamed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.Null(stripe.Requests[^1].RateLimitedReason);
        }
        // Without limits, a burst meets none.
        var burst = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => http.GetAsync(new Uri(stripe.BaseUrl, "/v1/charges?limit=1"))));
        Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Array.ForEach(burst, r => r.Dispose());
    }

    [Fact]
    public async Task A_slow_answer_holds_up_no_other_request()
    {
        // Forty requests at once: within no rate limit of Stripe's.
        await using var stripe = await StripeSimulator.StartAsync(Options() with { RateLimits = null });
        using var http = Client();
        http.Timeout = Timeout.InfiniteTimeSpan;
        stripe.InjectFault(Fault.Slow(TimeSpan.FromMinutes(5)) with { PathPrefix = "/v1/customers" });
        using var cancel = new CancellationTokenSource();
        var slow = http.GetAsync(new Uri(stripe.BaseUrl, "/v1/customers?limit=1"), cancel.Token);
        var others = Enumerable.Range(0, 40).Select(_ => http.GetAsync(new Uri(stripe.BaseUrl, "/v1/charges?limit=1"))).ToList();
        foreach (var response in await Task.WhenAll(others))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            response.Dispose();
        }
        Assert.False(slow.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => slow);
    }

    [Fact]
    public async Task With_a_certificate_it_serves_https_and_keeps_connections_alive()
    {
        using var certificate = SelfSigned();
        await using var stripe = await StripeSimulator.StartAsync(Options() with { Certificate = certificate });
        Assert.Equal("https", stripe.BaseUrl.Scheme);
        var connections = 0;
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, cert, _, _) => cert?.GetCertHashString() == certificate.GetCertHashString() },
            ConnectCallback = async (context, ct) =>
            {
                Interlocked.Increment(ref connections);
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = Client(handler);
        for (var i = 0; i < 5; i++)
        {
            using var response = await http.GetAsync(new Uri(stripe.BaseUrl, "/v1/charges?limit=2"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Contains("\"object\": \"list\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        Assert.Equal(1, connections);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        // SslStream on Linux needs a certificate whose key came from a PKCS#12 store.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pfx), null);
    }
}
