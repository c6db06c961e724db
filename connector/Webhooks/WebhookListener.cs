using System.Net;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SourceStripe.Logging;

namespace SourceStripe.Webhooks;

/// <summary>
/// Receives Stripe's webhook deliveries on any path: each is authenticated (<see cref="WebhookRequest"/>)
/// before its body reaches the capture, and answered with what the capture made of it. Kestrel, taken
/// without ASP.NET's host, does the HTTP; disposing stops it.
/// </summary>
public sealed class WebhookListener : IAsyncDisposable
{
    private readonly KestrelServer _server;
    private readonly CancellationTokenSource _stopping;

    private WebhookListener(KestrelServer server, CancellationTokenSource stopping, IPEndPoint endpoint)
    {
        _server = server;
        _stopping = stopping;
        Endpoint = endpoint;
    }

    /// <summary>The address and port bound: the configured one, with the port the system chose when it was 0.</summary>
    public IPEndPoint Endpoint { get; }

    public static Task<WebhookListener> StartAsync(IPEndPoint address, IReadOnlyList<string> secrets,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<WebhookAnswer>> deliver, TimeProvider clock, CancellationToken cancellationToken) =>
        StartAsync(address, secrets, deliver, clock, WebhookLimits.Default, cancellationToken);

    /// <summary>
    /// Binds <paramref name="address"/> and starts answering. Deliveries in progress see their token
    /// cancelled when <paramref name="cancellationToken"/> is or the listener is disposed.
    /// </summary>
    public static async Task<WebhookListener> StartAsync(IPEndPoint address, IReadOnlyList<string> secrets,
        Func<ReadOnlyMemory<byte>, CancellationToken, Task<WebhookAnswer>> deliver, TimeProvider clock, WebhookLimits limits,
        CancellationToken cancellationToken)
    {
        var options = ServerOptions(limits);
        ListenOptions? listening = null;
        options.Listen(address, listen =>
        {
            // Stripe delivers over HTTP/1.1; nothing else is offered, so nothing else can be abused.
            listen.Protocols = HttpProtocols.Http1;
            listening = listen;
        });
        var transport = new SocketTransportFactory(Options.Create(new SocketTransportOptions()), NullLoggerFactory.Instance);
        // Kestrel's own log lines (a connection reset, a bad request line) would let junk fill stderr.
        var server = new KestrelServer(Options.Create(options), transport, NullLoggerFactory.Instance);
        var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var requests = new WebhookRequest(new StripeSignature(secrets), deliver, clock, limits, stopping.Token);
        try
        {
            await server.StartAsync(new Application(requests), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
        {
            server.Dispose();
            stopping.Dispose();
            throw new IOException($"Cannot listen for Stripe's webhooks on {address} (advanced.webhook_address): {e.Message}", e);
        }
        var endpoint = listening?.IPEndPoint ?? address;
        Log.Info("Listening for Stripe's webhooks", ("address", endpoint.ToString()));
        return new WebhookListener(server, stopping, endpoint);
    }

    private static KestrelServerOptions ServerOptions(WebhookLimits limits)
    {
        var options = new KestrelServerOptions { AddServerHeader = false };
        var kestrel = options.Limits;
        kestrel.MaxConcurrentConnections = limits.MaxConnections;
        kestrel.MaxConcurrentUpgradedConnections = 0;
        // The listener counts the body itself and stops reading one byte past 1 MiB; Kestrel's own limit
        // refused chunked bodies of exactly 1 MiB, even set one byte higher.
        kestrel.MaxRequestBodySize = null;
        kestrel.MaxRequestLineSize = WebhookLimits.MaxRequestLineBytes;
        kestrel.MaxRequestHeadersTotalSize = WebhookLimits.MaxRequestHeadersBytes;
        kestrel.MaxRequestHeaderCount = WebhookLimits.MaxRequestHeaderCount;
        kestrel.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        kestrel.KeepAliveTimeout = limits.KeepAliveTimeout;
        kestrel.MinRequestBodyDataRate = new MinDataRate(WebhookLimits.MinBodyBytesPerSecond, TimeSpan.FromSeconds(5));
        return options;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        // Requests still running have had their deliveries cancelled; what has not ended in a moment is aborted.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _server.StopAsync(grace.Token).ConfigureAwait(false);
        _server.Dispose();
        _stopping.Dispose();
    }

    /// <summary>Kestrel's entry point without ASP.NET's pipeline: the request's features are its whole context.</summary>
    private sealed class Application(WebhookRequest requests) : IHttpApplication<IFeatureCollection>
    {
        public IFeatureCollection CreateContext(IFeatureCollection contextFeatures) => contextFeatures;

        public Task ProcessRequestAsync(IFeatureCollection context) => requests.ServeAsync(context);

        public void DisposeContext(IFeatureCollection context, Exception? exception)
        {
        }
    }
}
