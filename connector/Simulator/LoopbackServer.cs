using System.Buffers;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SourceStripe.Simulator;

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 (ephemeral port) that answers through <see cref="SimulatedStripeApi"/>: the
/// binary serves its demo account with it, since Kestrel would not fit the binary's size budget. It serves one
/// client, the connector's own HttpClient, but speaks correct HTTP/1.1 to any: concurrent keep-alive connections,
/// pipelined requests, Content-Length responses, bounded request heads; bodies are read and dropped (Stripe's read
/// API takes none, and the core answers any method but GET with Stripe's unrecognized-URL error).
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
        _listener = listener;
        BaseUrl = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndPoint!).Port}");
        _accepting = Task.Run(AcceptAsync);
    }

    /// <summary>http://127.0.0.1:PORT</summary>
    public Uri BaseUrl { get; }

    public SimulatedStripeApi Api { get; }

    /// <summary>Starts serving <paramref name="api"/> on 127.0.0.1 with a port the system picks.</summary>
    public static LoopbackServer Start(SimulatedStripeApi api)
    {
        ArgumentNullException.ThrowIfNull(api);
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
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
        var stream = new NetworkStream(socket, ownsSocket: true);
        var input = new Input(stream);
        try
        {
            while (true)
            {
                var length = await input.ReadHeadAsync(ct).ConfigureAwait(false);
                if (length == Input.Closed)
                {
                    return;
                }
                if (length == Input.TooLarge)
                {
                    await WriteAsync(stream, Plain(431, "Request Header Fields Too Large"), close: true, headOnly: false, ct).ConfigureAwait(false);
                    await LingerAsync(socket, input, ct).ConfigureAwait(false);
                    return;
                }
                var request = LoopbackRequest.Parse(input.Take(length));
                if (request is null || request.ContentLength() is not { } bodyLength)
                {
                    await WriteAsync(stream, Plain(400, "Bad Request"), close: true, headOnly: false, ct).ConfigureAwait(false);
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
                var response = Answer(request);
                await WriteAsync(stream, response, close: !keepAlive, headOnly: request.Method == "HEAD", ct).ConfigureAwait(false);
                if (!keepAlive)
                {
                    await LingerAsync(socket, input, ct).ConfigureAwait(false);
                    return;
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException
            || (e is OperationCanceledException && ct.IsCancellationRequested))
        {
            // The client went away or the server is stopping: the connection simply ends.
        }
        finally
        {
            input.Dispose();
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    private SimulatedResponse Answer(LoopbackRequest request)
    {
        try
        {
            return Api.Answer(request.Method, request.Path, request.Query, request.Header);
        }
        catch (Exception e)
        {
            // A fault in the simulator itself: answer as a server does, not by dropping the connection.
            return Plain(500, $"Internal Server Error: {e.GetType().Name}: {e.Message}");
        }
    }

    private static SimulatedResponse Plain(int status, string text) =>
        new(status, Encoding.UTF8.GetBytes(text), [new("Content-Type", "text/plain; charset=utf-8")]);

    private static async Task WriteAsync(Stream stream, SimulatedResponse response, bool close, bool headOnly, CancellationToken ct)
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
            await stream.WriteAsync(response.Body, ct).ConfigureAwait(false);
        }
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

    /// <summary>A connection's read side: what was received and not consumed yet, in one pooled buffer.</summary>
    private sealed class Input(Stream stream) : IDisposable
    {
        public const int Closed = -1;
        public const int TooLarge = -2;

        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(MaxHeadBytes);
        private int _start;
        private int _end;

        /// <summary>The length of the next request head, without its blank line (then <see cref="Take"/> it);
        /// <see cref="Closed"/> when the client closed first, <see cref="TooLarge"/> past <see cref="MaxHeadBytes"/>.</summary>
        public async ValueTask<int> ReadHeadAsync(CancellationToken ct)
        {
            var searched = 0;
            while (true)
            {
                var at = _buffer.AsSpan(_start + searched, _end - _start - searched).IndexOf("\r\n\r\n"u8);
                if (at >= 0)
                {
                    return searched + at;
                }
                // The terminator may straddle what was read and what comes next.
                searched = Math.Max(0, _end - _start - 3);
                if (_end - _start >= MaxHeadBytes)
                {
                    return TooLarge;
                }
                if (!await FillAsync(ct).ConfigureAwait(false))
                {
                    return Closed;
                }
            }
        }

        /// <summary>Consumes a head found by <see cref="ReadHeadAsync"/> and its blank line; the span is valid until the next read.</summary>
        public ReadOnlySpan<byte> Take(int length)
        {
            var head = _buffer.AsSpan(_start, length);
            Consume(length + 4);
            return head;
        }

        /// <summary>Drops <paramref name="length"/> body bytes; false when the client closed first.</summary>
        public async ValueTask<bool> SkipAsync(long length, CancellationToken ct)
        {
            while (true)
            {
                var buffered = (int)Math.Min(length, _end - _start);
                Consume(buffered);
                length -= buffered;
                if (length == 0)
                {
                    return true;
                }
                if (!await FillAsync(ct).ConfigureAwait(false))
                {
                    return false;
                }
            }
        }

        /// <summary>Drops everything until the client closes.</summary>
        public async Task DrainAsync(CancellationToken ct)
        {
            do
            {
                Consume(_end - _start);
            }
            while (await FillAsync(ct).ConfigureAwait(false));
        }

        /// <summary>Appends whatever arrives next to the buffered bytes; false at the end of the input.</summary>
        private async ValueTask<bool> FillAsync(CancellationToken ct)
        {
            if (_end == _buffer.Length)
            {
                Compact();
            }
            var read = await stream.ReadAsync(_buffer.AsMemory(_end), ct).ConfigureAwait(false);
            _end += read;
            return read > 0;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        private void Consume(int count)
        {
            _start += count;
            if (_start == _end)
            {
                _start = _end = 0;
            }
        }

        private void Compact()
        {
            _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
            _end -= _start;
            _start = 0;
        }
    }
}
