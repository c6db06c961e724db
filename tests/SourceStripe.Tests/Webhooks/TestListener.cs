using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using SourceStripe.Webhooks;

namespace SourceStripe.Tests.Webhooks;

/// <summary>A listener on a loopback port of its own, its clock fake, its capture a recorder of what reached it.</summary>
internal sealed class TestListener : IAsyncDisposable
{
    public const string Secret = "whsec_listener_test_secret";
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    private TestListener(WebhookListener listener, FakeTimeProvider clock, ConcurrentQueue<byte[]> delivered)
    {
        Listener = listener;
        Clock = clock;
        Delivered = delivered;
    }

    public WebhookListener Listener { get; }

    public FakeTimeProvider Clock { get; }

    /// <summary>Every body the capture was handed, copied as it arrived.</summary>
    public ConcurrentQueue<byte[]> Delivered { get; }

    /// <summary>What the capture answers; it sees the body after it is recorded.</summary>
    public Func<ReadOnlyMemory<byte>, CancellationToken, Task<WebhookAnswer>> Capture { get; set; } = (_, _) => Task.FromResult(WebhookAnswer.Captured);

    public static async Task<TestListener> StartAsync(WebhookLimits? limits = null)
    {
        var clock = new FakeTimeProvider(Now);
        var delivered = new ConcurrentQueue<byte[]>();
        TestListener? self = null;
        var listener = await WebhookListener.StartAsync(new IPEndPoint(IPAddress.Loopback, 0), [Secret],
            (body, cancel) =>
            {
                delivered.Enqueue(body.ToArray());
                return self!.Capture(body, cancel);
            },
            clock, limits ?? WebhookLimits.Default, CancellationToken.None);
        self = new TestListener(listener, clock, delivered);
        return self;
    }

    public HttpClient Client() => new() { BaseAddress = new Uri($"http://{Listener.Endpoint}/") };

    public static string Signature(string body, long? t = null, string secret = Secret) =>
        Signature(Encoding.UTF8.GetBytes(body), t, secret);

    public static string Signature(byte[] body, long? t = null, string secret = Secret)
    {
        var at = t ?? Now.ToUnixTimeSeconds();
        return $"t={at},v1={StripeSignatureTests.V1(secret, at, body)}";
    }

    /// <summary>A POST signed as Stripe signs it, through HttpClient.</summary>
    public async Task<(int Status, string Text)> PostAsync(string body, string? signature = null)
    {
        using var client = Client();
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        content.Headers.Add("Stripe-Signature", signature ?? Signature(body));
        using var response = await client.PostAsync("webhooks/stripe", content);
        return ((int)response.StatusCode, (await response.Content.ReadAsStringAsync()).TrimEnd());
    }

    /// <summary>An open TCP connection to the listener, for what HttpClient will not send.</summary>
    public async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(Listener.Endpoint);
        return socket;
    }

    public async ValueTask DisposeAsync() => await Listener.DisposeAsync();
}
