using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SourceStripe.Tests.Faults;

/// <summary>
/// A TCP listener on 127.0.0.1 that counts connections. As the HTTP(S) proxy of a run, it sees every request
/// the connector tries to send to Stripe, so a run that fails on its config can be shown to send nothing.
/// </summary>
internal sealed class Tripwire : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public Tripwire()
    {
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Connections => Volatile.Read(ref _connections);

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The environment that sends every request for a non-loopback host through the tripwire.</summary>
    public Dictionary<string, string> Environment => new()
    {
        ["HTTPS_PROXY"] = Url,
        ["https_proxy"] = Url,
        ["HTTP_PROXY"] = Url,
        ["http_proxy"] = Url,
        ["ALL_PROXY"] = Url,
        ["all_proxy"] = Url,
        ["NO_PROXY"] = "",
        ["no_proxy"] = "",
    };

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}

/// <summary>
/// An HTTP server on 127.0.0.1 that answers every request 200 with the same body (such as <c>[]</c>): a
/// "Stripe" whose list responses are never lists.
/// </summary>
internal sealed class FixedBodyServer : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly byte[] _body;
    private int _requests;

    public FixedBodyServer(string body)
    {
        _body = Encoding.UTF8.GetBytes(body);
        _listener.Start();
        _ = AcceptAsync();
    }

    public Uri BaseUrl => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}");

    public int Requests => Volatile.Read(ref _requests);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[16 * 1024];
                var pending = new List<byte>();
                while (true)
                {
                    // One request per header block (GETs carry no body); keep-alive connections send several.
                    int end;
                    while ((end = HeaderEnd(pending)) < 0)
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }
                        pending.AddRange(buffer.AsSpan(0, read));
                    }
                    pending.RemoveRange(0, end + 4);
                    Interlocked.Increment(ref _requests);
                    var head = $"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {_body.Length}\r\nDate: {DateTimeOffset.UtcNow:R}\r\nRequest-Id: req_fixed\r\n\r\n";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stop.Token);
                    await stream.WriteAsync(_body, _stop.Token);
                }
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private static int HeaderEnd(List<byte> bytes)
    {
        for (var i = 0; i + 3 < bytes.Count; i++)
        {
            if (bytes[i] == '\r' && bytes[i + 1] == '\n' && bytes[i + 2] == '\r' && bytes[i + 3] == '\n')
            {
                return i;
            }
        }
        return -1;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        _stop.Dispose();
    }
}
