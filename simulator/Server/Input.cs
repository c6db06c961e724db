using System.Buffers;

namespace SourceStripe.Simulator.Server;

/// <summary>A connection's read side: what was received and not consumed yet, in one pooled buffer.</summary>
internal sealed class Input(Stream stream) : IDisposable
{
    public const int Closed = -1;
    public const int TooLarge = -2;

    private byte[] _buffer = ArrayPool<byte>.Shared.Rent(LoopbackServer.MaxHeadBytes);
    private int _start;
    private int _end;

    /// <summary>The length of the next request head, without its blank line (then <see cref="Take"/> it);
    /// <see cref="Closed"/> when the client closed first, <see cref="TooLarge"/> past <see cref="LoopbackServer.MaxHeadBytes"/>.</summary>
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
            if (_end - _start >= LoopbackServer.MaxHeadBytes)
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
