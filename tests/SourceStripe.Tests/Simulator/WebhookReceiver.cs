using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SourceStripe.Tests.Simulator;

/// <summary>One POST as the receiver got it.</summary>
internal sealed record ReceivedWebhook(string Path, string? ContentType, string? UserAgent, string? Signature, byte[] Body)
{
    public string EventId => Json.GetProperty("id").GetString()!;

    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A Kestrel endpoint on 127.0.0.1 (ephemeral port) that records every POST and answers what the test's
/// <c>answer</c> returns (200 by default); <see cref="Arrivals"/> tells the test of each request before it is answered.
/// </summary>
internal sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedWebhook> _received = new();

    private WebhookReceiver(WebApplication app) => _app = app;

    public ChannelReader<ReceivedWebhook> Arrivals => _arrivals.Reader;

    private readonly Channel<ReceivedWebhook> _arrivals = Channel.CreateUnbounded<ReceivedWebhook>();

    public IReadOnlyList<ReceivedWebhook> Received => [.. _received];

    public Uri BaseUrl { get; private set; } = null!;

    public Uri Url(string path) => new(BaseUrl, path);

    public static async Task<WebhookReceiver> StartAsync(Func<ReceivedWebhook, Task<int>>? answer = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new WebhookReceiver(app);
        app.Run(async context =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body, context.RequestAborted);
            var headers = context.Request.Headers;
            var received = new ReceivedWebhook(context.Request.Path, headers.ContentType, headers.UserAgent,
                headers["Stripe-Signature"], body.ToArray());
            receiver._received.Enqueue(received);
            receiver._arrivals.Writer.TryWrite(received);
            context.Response.StatusCode = answer is null ? 200 : await answer(received);
            await context.Response.WriteAsync("{}", context.RequestAborted);
        });
        await app.StartAsync();
        receiver.BaseUrl = new Uri(app.Urls.Single());
        return receiver;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
