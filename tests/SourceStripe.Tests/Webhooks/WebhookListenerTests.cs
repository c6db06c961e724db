using System.Net;
using System.Net.Sockets;
using System.Text;
using SourceStripe.Webhooks;

namespace SourceStripe.Tests.Webhooks;

public sealed class WebhookListenerTests
{
    /// <summary>Pretty-printed and not ASCII, as Stripe sends it: the capture must get these very bytes.</summary>
    private const string Body = "{\n  \"id\": \"evt_1\",\n  \"object\": \"event\",\n  \"data\": {\"object\": {\"name\": \"Zoë Ångström\"}}\n}";

    [Fact]
    public async Task A_verified_delivery_reaches_the_capture_once_with_its_exact_bytes()
    {
        await using var listener = await TestListener.StartAsync();
        Assert.NotEqual(0, listener.Listener.Endpoint.Port);
        Assert.Equal((200, "captured"), await listener.PostAsync(Body));
        Assert.Equal(Encoding.UTF8.GetBytes(Body), Assert.Single(listener.Delivered));
    }

    [Theory]
    [InlineData(WebhookAnswer.Captured, 200, "captured")]
    [InlineData(WebhookAnswer.Ignored, 200, "not captured by this task")]
    [InlineData(WebhookAnswer.Retry, 503, "not captured in time: deliver again")]
    public async Task The_captures_answer_becomes_the_status(WebhookAnswer answer, int status, string text)
    {
        await using var listener = await TestListener.StartAsync();
        listener.Capture = (_, _) => Task.FromResult(answer);
        Assert.Equal((status, text), await listener.PostAsync(Body));
        Assert.Single(listener.Delivered);
    }

    [Fact]
    public async Task A_capture_that_throws_gets_a_500_and_the_listener_goes_on()
    {
        await using var listener = await TestListener.StartAsync();
        listener.Capture = (_, _) => throw new InvalidOperationException("the capture broke");
        Assert.Equal((500, "the capture failed on this event"), await listener.PostAsync(Body));
        listener.Capture = (_, _) => Task.FromResult(WebhookAnswer.Captured);
        Assert.Equal((200, "captured"), await listener.PostAsync(Body));
    }

    [Fact]
    public async Task A_body_of_exactly_1_MiB_is_taken_whether_its_length_is_declared_or_chunked()
    {
        await using var listener = await TestListener.StartAsync();
        var body = new byte[WebhookLimits.MaxBodyBytes];
        Random.Shared.NextBytes(body);
        using var client = listener.Client();
        foreach (var chunked in new[] { false, true })
        {
            using var content = chunked ? (HttpContent)new StreamContent(new UnknownLengthStream(body)) : new ByteArrayContent(body);
            content.Headers.Add("Stripe-Signature", TestListener.Signature(body));
            using var response = await client.PostAsync("/", content);
            Assert.True(response.StatusCode == HttpStatusCode.OK, $"chunked: {chunked}, {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
        Assert.All(listener.Delivered, delivered => Assert.Equal(body, delivered));
        Assert.Equal(2, listener.Delivered.Count);
    }

    [Fact]
    public async Task Many_idle_connections_do_not_stop_a_valid_delivery()
    {
        await using var listener = await TestListener.StartAsync();
        var idle = new List<Socket>();
        try
        {
            for (var i = 0; i < 200; i++)
            {
                var socket = await listener.ConnectAsync();
                idle.Add(socket);
                // Half say nothing, half start a request and stall.
                if (i % 2 == 1)
                {
                    await socket.SendAsync(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: h\r\n"));
                }
            }
            Assert.Equal((200, "captured"), await listener.PostAsync(Body));
            Assert.Single(listener.Delivered);
        }
        finally
        {
            idle.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Connections_that_fill_the_limit_are_cut_at_the_header_timeout_and_deliveries_get_through_again()
    {
        var limits = new WebhookLimits { MaxConnections = 4, RequestHeadersTimeout = TimeSpan.FromSeconds(1) };
        await using var listener = await TestListener.StartAsync(limits);
        var stalled = new List<Socket>();
        for (var i = 0; i < limits.MaxConnections; i++)
        {
            stalled.Add(await listener.ConnectAsync());
            await stalled[^1].SendAsync(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\n"));
        }
        foreach (var socket in stalled)
        {
            await RawHttp.ReadUntilClosedAsync(socket);
            socket.Dispose();
        }
        Assert.Equal((200, "captured"), await listener.PostAsync(Body));
    }

    [Fact]
    public async Task Bodies_beyond_the_bytes_in_flight_are_answered_503_not_buffered()
    {
        await using var listener = await TestListener.StartAsync(new WebhookLimits { MaxBodyBytesInFlight = 1000 });
        var large = new string('a', 990);
        using var holder = await listener.ConnectAsync();
        await holder.SendAsync(Encoding.ASCII.GetBytes(
            $"POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nStripe-Signature: {TestListener.Signature(large)}\r\nContent-Length: {large.Length}\r\nExpect: 100-continue\r\n\r\n"));
        // Its 990 bytes are reserved before the server asks for them.
        await RawHttp.WaitForAsync(holder, "100 Continue");

        Assert.Equal((503, "busy: deliver again later"), await listener.PostAsync(Body));
        Assert.Empty(listener.Delivered);

        await holder.SendAsync(Encoding.ASCII.GetBytes(large));
        Assert.Equal((200, "captured"), RawHttp.Parse(await RawHttp.ReadUntilClosedAsync(holder)));
        Assert.Equal((200, "captured"), await listener.PostAsync(Body));
        Assert.Equal(2, listener.Delivered.Count);
    }

    [Fact]
    public async Task Disposing_cancels_a_delivery_in_progress_with_a_503_and_stops_listening()
    {
        var listener = await TestListener.StartAsync();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        listener.Capture = async (_, cancel) =>
        {
            entered.SetResult();
            await Task.Delay(Timeout.Infinite, cancel);
            return WebhookAnswer.Captured;
        };
        var post = listener.PostAsync(Body);
        await entered.Task;
        await listener.DisposeAsync();
        Assert.Equal((503, "not captured in time: deliver again"), await post);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await Assert.ThrowsAsync<SocketException>(async () => await socket.ConnectAsync(listener.Listener.Endpoint));
    }

    [Fact]
    public async Task An_address_in_use_is_one_clear_error()
    {
        await using var first = await TestListener.StartAsync();
        var error = await Assert.ThrowsAsync<IOException>(() => WebhookListener.StartAsync(first.Listener.Endpoint, [TestListener.Secret],
            (_, _) => Task.FromResult(WebhookAnswer.Captured), TimeProvider.System, CancellationToken.None));
        Assert.StartsWith($"Cannot listen for Stripe's webhooks on {first.Listener.Endpoint} (advanced.webhook_address)", error.Message);
    }

    /// <summary>A stream whose length HttpClient cannot know, so that it sends the body chunked.</summary>
    private sealed class UnknownLengthStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
