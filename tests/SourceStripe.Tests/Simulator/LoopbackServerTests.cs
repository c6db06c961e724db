using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Simulator.Server;

namespace SourceStripe.Tests.Simulator;

/// <summary>HTTP/1.1 as the binary's loopback server speaks it: to the connector's pooled HttpClient, and to clients that misbehave.</summary>
public sealed class LoopbackServerTests
{
    private const string Key = "sk_live_simulator";
    private const string Get = "GET /v1/charges?limit=2 HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + Key + "\r\n\r\n";

    // Bursts of requests test the server, not Stripe's rate limits.
    private static LoopbackServer Start(int objects = 150) =>
        LoopbackServer.Start(new SimulatedStripeApi(new SimulatorOptions { Seed = 3, ObjectsPerStream = objects, RateLimits = null }));

    /// <summary>A client like the connector's, counting the connections it opens.</summary>
    private static HttpClient Client(Action onConnect, int maxConnections = int.MaxValue)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            ConnectCallback = async (context, ct) =>
            {
                onConnect();
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        var client = new HttpClient(handler);
        client.DefaultRequestHeaders.Add("Authorization", "Bearer " + Key);
        return client;
    }

    [Fact]
    public async Task Many_requests_reuse_one_kept_alive_connection()
    {
        await using var server = Start();
        var connections = 0;
        using var http = Client(() => Interlocked.Increment(ref connections), maxConnections: 1);
        for (var i = 0; i < 60; i++)
        {
            using var response = await http.GetAsync(new Uri(server.BaseUrl, $"/v1/customers?limit={1 + (i % 100)}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await response.Content.ReadAsByteArrayAsync();
        }
        Assert.Equal(1, connections);
    }

    [Fact]
    public async Task Thirty_two_concurrent_requests_each_get_their_own_answer()
    {
        await using var server = Start();
        var connections = 0;
        using var http = Client(() => Interlocked.Increment(ref connections));
        var pages = server.Api.Account.Objects("charges").Select(c => $"/v1/charges?limit=100&starting_after={c.Id}").Take(32).ToList();
        var bodies = await Task.WhenAll(pages.Select(page => http.GetByteArrayAsync(new Uri(server.BaseUrl, page))));
        for (var i = 0; i < pages.Count; i++)
        {
            var question = pages[i].IndexOf('?', StringComparison.Ordinal);
            var expected = server.Api.Answer("GET", pages[i][..question], pages[i][(question + 1)..], n => n == "Authorization" ? "Bearer " + Key : null);
            Assert.Equal(200, expected.Status);
            // The API answers compact JSON; the server indents it as Stripe does.
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected.Body), JsonNode.Parse(bodies[i])), $"{pages[i]} answered another page");
        }
        Assert.True(connections > 1, $"{connections} connection(s): the requests did not run concurrently");
    }

    [Fact]
    public async Task Clients_that_disconnect_mid_request_or_mid_answer_do_not_break_the_server()
    {
        await using var server = Start(objects: 400);
        // A head cut short, closed politely; then one reset (linger 0); then a request whose large answer is never read.
        using (var polite = await ConnectAsync(server))
        {
            await polite.GetStream().WriteAsync("GET /v1/charges?limit=2 HTTP/1.1\r\nHost: 127"u8.ToArray());
        }
        using (var reset = await ConnectAsync(server))
        {
            await reset.GetStream().WriteAsync("GET /v1/charg"u8.ToArray());
            reset.LingerState = new LingerOption(true, 0);
        }
        for (var i = 0; i < 5; i++)
        {
            using var impatient = await ConnectAsync(server);
            await impatient.GetStream().WriteAsync(Encoding.ASCII.GetBytes(Get.Replace("limit=2", "limit=100", StringComparison.Ordinal)));
            impatient.LingerState = new LingerOption(true, 0);
        }

        using var http = Client(() => { });
        using var response = await http.GetAsync(new Uri(server.BaseUrl, "/v1/charges?limit=2"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Pipelined_requests_are_answered_in_order_on_one_connection()
    {
        await using var server = Start();
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        var second = Get.Replace("/v1/charges?limit=2", "/v1/nowhere", StringComparison.Ordinal);
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Get + second));
        var reader = new ResponseReader(stream);
        Assert.Equal(200, (await reader.ReadAsync()).Status);
        var notFound = await reader.ReadAsync();
        Assert.Equal(404, notFound.Status);
        Assert.Contains("Unrecognized request URL (GET: /v1/nowhere)", notFound.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_with_a_body_gets_stripes_error_and_the_connection_carries_on()
    {
        await using var server = Start();
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        const string Form = "amount=100&currency=usd";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(
            $"POST /v1/charges HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {Key}\r\nContent-Length: {Form.Length}\r\n\r\n{Form}" + Get));
        var reader = new ResponseReader(stream);
        var post = await reader.ReadAsync();
        Assert.Equal(404, post.Status);
        Assert.Contains("Unrecognized request URL (POST: /v1/charges)", post.Body, StringComparison.Ordinal);
        Assert.Equal(200, (await reader.ReadAsync()).Status);
    }

    [Fact]
    public async Task Connection_close_is_honoured_and_said_back()
    {
        await using var server = Start();
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(Get.Replace("\r\n\r\n", "\r\nConnection: close\r\n\r\n", StringComparison.Ordinal)));
        var reader = new ResponseReader(stream);
        var response = await reader.ReadAsync();
        Assert.Equal(200, response.Status);
        Assert.Contains("Connection: close", response.Head, StringComparison.OrdinalIgnoreCase);
        Assert.True(await reader.AtEndAsync(), "the server kept the connection open");
    }

    [Theory]
    [InlineData("GARBAGE\r\n\r\n", 400)]
    [InlineData("GET /v1/charges HTTP/1.1\r\nBad Header: x\r\n\r\n", 400)]
    [InlineData("GET /v1/charges HTTP/1.1\r\nContent-Length: -4\r\n\r\n", 400)]
    [InlineData("GET /v1/charges HTTP/1.1\r\nX-Padding: {pad}\r\n\r\n", 431)]
    public async Task A_malformed_or_oversized_head_is_refused_and_the_connection_closed(string head, int status)
    {
        await using var server = Start();
        using var client = await ConnectAsync(server);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Replace("{pad}", new string('x', LoopbackServer.MaxHeadBytes), StringComparison.Ordinal)));
        var reader = new ResponseReader(stream);
        Assert.Equal(status, (await reader.ReadAsync()).Status);
        Assert.True(await reader.AtEndAsync(), "the server kept the connection open");
    }

    [Fact]
    public async Task Disposing_ends_idle_kept_alive_connections_promptly()
    {
        await using var server = Start();
        using var http = Client(() => { });
        var idle = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => http.GetAsync(new Uri(server.BaseUrl, "/v1/charges?limit=1"))));
        Assert.All(idle, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        using var halfSent = await ConnectAsync(server);
        await halfSent.GetStream().WriteAsync("GET /v1/"u8.ToArray());
        await server.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromMinutes(1));
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => http.GetAsync(new Uri(server.BaseUrl, "/v1/charges?limit=1")));
        foreach (var response in idle)
        {
            response.Dispose();
        }
    }

    private static async Task<TcpClient> ConnectAsync(LoopbackServer server)
    {
        var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, server.BaseUrl.Port);
        return client;
    }

    /// <summary>Reads Content-Length-framed HTTP/1.1 responses off a raw connection.</summary>
    private sealed class ResponseReader(NetworkStream stream)
    {
        private readonly List<byte> _pending = [];

        public async Task<(int Status, string Head, string Body)> ReadAsync()
        {
            int end;
            while ((end = IndexOfBlankLine()) < 0)
            {
                Assert.True(await FillAsync(), "the connection ended before a response");
            }
            var head = Encoding.ASCII.GetString([.. _pending.Take(end)]);
            _pending.RemoveRange(0, end + 4);
            var length = int.Parse(head.Split("\r\n").Single(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(),
                System.Globalization.CultureInfo.InvariantCulture);
            while (_pending.Count < length)
            {
                Assert.True(await FillAsync(), "the connection ended inside a body");
            }
            var body = Encoding.UTF8.GetString([.. _pending.Take(length)]);
            _pending.RemoveRange(0, length);
            return (int.Parse(head.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture), head, body);
        }

        /// <summary>Whether the server closed the connection (within a minute: a guard against a hang) with nothing more to read.</summary>
        public async Task<bool> AtEndAsync()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            return _pending.Count == 0 && await stream.ReadAsync(new byte[1], timeout.Token) == 0;
        }

        private async Task<bool> FillAsync()
        {
            var buffer = new byte[64 * 1024];
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var read = await stream.ReadAsync(buffer, timeout.Token);
            _pending.AddRange(buffer.AsSpan(0, read));
            return read > 0;
        }

        private int IndexOfBlankLine()
        {
            for (var i = 0; i + 3 < _pending.Count; i++)
            {
                if (_pending[i] == '\r' && _pending[i + 1] == '\n' && _pending[i + 2] == '\r' && _pending[i + 3] == '\n')
                {
                    return i;
                }
            }
            return -1;
        }
    }
}
