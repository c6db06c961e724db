using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;

namespace SourceStripe.Simulator.Server;

/// <summary>
/// The simulator's HTTP/1.1 server on 127.0.0.1 (HTTPS when <see cref="SimulatorOptions.Certificate"/> is set), over
/// sockets so that the connector binary can serve its demo with it (Kestrel would not fit its size budget). Each
/// connection is served asynchronously, so latency and slow faults hold no thread: concurrent keep-alive connections,
/// pipelined requests, Content-Length responses, bounded request heads; bodies are read and dropped (Stripe's read
/// API takes none, and the core answers any method but GET with Stripe's unrecognized-URL error). Faults, latency
/// and the request log are the <see cref="RequestHandler"/>'s.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    /// <summary>The largest request line and headers accepted (431 beyond): a connector request is about 300 bytes.</summary>
    public const int MaxHeadBytes = 16 * 1024;

    /// <summary>Bodies up to this size are read and dropped so the connection can carry the next request; larger
    /// ones are answered and the connection closed, rather than reading megabytes nobody needs.</summary>
    private const long MaxSkippedBody = 1024 * 1024;

    /// <summary>How long a closing connection keeps reading what the client still sends, so the client reads our
    /// answer before the kernel resets the connection over unread input.</summary>
    private static readonly TimeSpan LingerTime = TimeSpan.FromSeconds(1);

    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private readonly Task _accepting;
    private int _disposed;

    private LoopbackServer(SimulatedStripeApi api, Socket listener)
    {
        Api = api;
        Handler = new RequestHandler(api);
        _listener = listener;
        var scheme = api.Options.Certificate is null ? "http" : "https";
        BaseUrl = new Uri($"{scheme}://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}");
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>http://127.0.0.1:PORT (https:// with a certificate)</summary>
    public Uri BaseUrl { get; }

    public SimulatedStripeApi Api { get; }

    internal RequestHandler Handler { get; }

    /// <summary>Starts serving <paramref name="api"/> on 127.0.0.1, on <paramref name="port"/> (0: one the system picks).</summary>
    public static LoopbackServer Start(SimulatedStripeApi api, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(api);
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
            listener.Listen(512);
            return new LoopbackServer(api, listener);
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }

    /// <summary>Stops accepting, ends every connection (in-flight answers are abandoned) and waits for them.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Dispose();
        await _accepting.ConfigureAwait(false);
        Task[] open;
        lock (_gate)
        {
            open = [.. _connections];
        }
        // Connections end on their own when cancelled; one that failed otherwise (a bug) rethrows here.
        await Task.WhenAll(open).ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (_stop.IsCancellationRequested && e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionAborted or SocketError.ConnectionReset)
            {
                // The client gave up before the connection was accepted: nothing to serve.
                continue;
            }
            client.NoDelay = true;
            var connection = Task.Run(() => ServeAsync(client));
            lock (_gate)
            {
                _connections.Add(connection);
            }
            _ = connection.ContinueWith(Forget, this, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>Drops a connection that ended cleanly; a faulted one stays for <see cref="DisposeAsync"/> to observe.</summary>
    private static void Forget(Task connection, object? state)
    {
        var server = (LoopbackServer)state!;
        if (connection.IsCompletedSuccessfully)
        {
            lock (server._gate)
            {
                server._connections.Remove(connection);
            }
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var ct = _stop.Token;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        Input? input = null;
        try
        {
            if (Api.Options.Certificate is { } certificate)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, ct).ConfigureAwait(false);
            }
            input = new Input(stream);
            while (true)
            {
                var length = await input.ReadHeadAsync(ct).ConfigureAwait(false);
                if (length == Input.Closed)
                {
                    return;
                }
                if (length == Input.TooLarge)
                {
                    await WriteAsync(stream, RequestHandler.Plain(431, "Request Header Fields Too Large"), close: true, headOnly: false, ct).ConfigureAwait(false);
                    await LingerAsync(socket, input, ct).ConfigureAwait(false);
                    return;
                }
                var request = LoopbackRequest.Parse(input.Take(length));
                if (request is null || request.ContentLength() is not { } bodyLength)
                {
                    await WriteAsync(stream, RequestHandler.Plain(400, "Bad Request"), close: true, headOnly: false, ct).ConfigureAwait(false);
                    await LingerAsync(socket, input, ct).ConfigureAwait(false);
                    return;
                }
                var keepAlive = request.KeepAlive && !request.HasUnframedBody && bodyLength <= MaxSkippedBody;
                if (keepAlive && bodyLength > 0)
                {
                    if (request.ExpectsContinue)
                    {
                        await stream.WriteAsync("HTTP/1.1 100 Continue\r\n\r\n"u8.ToArray(), ct).ConfigureAwait(false);
                    }
                    if (!await input.SkipAsync(bodyLength, ct).ConfigureAwait(false))
                    {
                        return;
                    }
                }
                var reply = await Handler.HandleAsync(request, ct).ConfigureAwait(false);
                if (reply.Response is not { } response)
                {
                    Reset(socket);
                    return;
                }
                await WriteAsync(stream, response, close: !keepAlive, headOnly: request.Method == "HEAD", ct, reply.SendBodyBytes).ConfigureAwait(false);
                if (reply.SendBodyBytes is not null)
                {
                    Reset(socket);
                    return;
                }
                if (!keepAlive)
                {
                    await LingerAsync(socket, input, ct).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or AuthenticationException
            || (e is OperationCanceledException && ct.IsCancellationRequested))
        {
            // The client went away, refused our certificate, or the server is stopping: the connection simply ends.
        }
        finally
        {
            input?.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends a connection the way a crashed server or a cut network does: a reset, not a clean close.</summary>
    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
        }
        catch (SocketException)
        {
            // Already gone: nothing left to reset.
        }
    }

    /// <summary>Writes an answer; with <c>bodyBytes</c>, only that many bytes of its body (a truncated answer).</summary>
    private static async Task WriteAsync(Stream stream, SimulatedResponse response, bool close, bool headOnly, CancellationToken ct,
        int? bodyBytes = null)
    {
        var head = new StringBuilder(256);
        head.Append(CultureInfo.InvariantCulture, $"HTTP/1.1 {response.Status} {Reason(response.Status)}\r\n");
        foreach (var (name, value) in response.Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {response.Body.Length}\r\n");
        if (close)
        {
            head.Append("Connection: close\r\n");
        }
        head.Append("\r\n");
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), ct).ConfigureAwait(false);
        if (!headOnly)
        {
            await stream.WriteAsync(response.Body.AsMemory(0, bodyBytes ?? response.Body.Length), ct).ConfigureAwait(false);
        }
        await stream.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Ends a connection gracefully: no more sending, then reading what the client still sends for a moment, because
    /// closing a socket with unread input resets the connection and can destroy the answer before the client reads it.
    /// </summary>
    private static async Task LingerAsync(Socket socket, Input input, CancellationToken ct)
    {
        socket.Shutdown(SocketShutdown.Send);
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(ct);
        linger.CancelAfter(LingerTime);
        try
        {
            await input.DrainAsync(linger.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linger.IsCancellationRequested)
        {
        }
    }

    private static string Reason(int status) => status switch
    {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Request Failed",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        // RFC 9112 allows an empty reason phrase; clients go by the code.
        _ => "",
    };
}
