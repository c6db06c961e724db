using System.Net.Sockets;
using System.Text;

namespace SourceStripe.Tests.Webhooks;

/// <summary>Requests written byte by byte on a socket, and the answer read until the server closes.</summary>
internal static class RawHttp
{
    /// <summary>A failure guard only: every read below ends when the server answers or closes.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(2);

    public static async Task<(int? Status, string Text)> SendAsync(TestListener listener, byte[] request)
    {
        using var socket = await listener.ConnectAsync();
        try
        {
            await socket.SendAsync(request);
        }
        catch (SocketException)
        {
            // The server may answer and close before it has read everything: its answer is still to be read.
        }
        return Parse(await ReadUntilClosedAsync(socket));
    }

    public static Task<(int? Status, string Text)> SendAsync(TestListener listener, string request) =>
        SendAsync(listener, Encoding.ASCII.GetBytes(request));

    /// <summary>Everything the server sends until it closes the connection (or resets it).</summary>
    public static async Task<byte[]> ReadUntilClosedAsync(Socket socket)
    {
        using var guard = new CancellationTokenSource(Guard);
        var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var count = await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
                if (count == 0)
                {
                    break;
                }
                received.Write(buffer, 0, count);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
        return received.ToArray();
    }

    /// <summary>Reads until <paramref name="text"/> has arrived, for a step that must wait on the server.</summary>
    public static async Task WaitForAsync(Socket socket, string text)
    {
        using var guard = new CancellationTokenSource(Guard);
        var received = new StringBuilder();
        var buffer = new byte[1024];
        while (!received.ToString().Contains(text, StringComparison.Ordinal))
        {
            var count = await socket.ReceiveAsync(buffer, SocketFlags.None, guard.Token);
            Assert.True(count > 0, $"closed before \"{text}\" arrived: {received}");
            received.Append(Encoding.ASCII.GetString(buffer, 0, count));
        }
    }

    /// <summary>The status code and body text of the first answer, or no status when the server closed without one.</summary>
    public static (int? Status, string Text) Parse(byte[] response)
    {
        var text = Encoding.UTF8.GetString(response);
        // An interim 100 Continue comes before the real answer.
        while (text.StartsWith("HTTP/1.1 100", StringComparison.Ordinal))
        {
            text = text[(text.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..];
        }
        if (!text.StartsWith("HTTP/1.1 ", StringComparison.Ordinal))
        {
            return (null, "");
        }
        var status = int.Parse(text.AsSpan(9, 3));
        var bodyStart = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return (status, bodyStart < 0 ? "" : text[(bodyStart + 4)..].TrimEnd());
    }
}
