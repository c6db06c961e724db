using System.Buffers;

namespace SourceStripe.Simulator.Server;

/// <summary>A growable byte buffer rented from the shared pool: a page's indented JSON is hundreds of KB, and
/// allocating that per answer would churn the large-object heap of a process the benchmark shares with the connector.</summary>
internal sealed class PooledBuffer(int capacity) : IDisposable
{
    private byte[] _array = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

    public int Length { get; private set; }

    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, Length);

    /// <summary>At least <paramref name="size"/> free bytes after what was written; <see cref="Advance"/> by what was used.
    /// One reservation for several small writes keeps the capacity check out of a hot loop.</summary>
    public Span<byte> Reserve(int size)
    {
        if (_array.Length - Length < size)
        {
            Grow(size);
        }
        return _array.AsSpan(Length);
    }

    public void Advance(int count) => Length += count;

    public void Write(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Reserve(bytes.Length));
        Length += bytes.Length;
    }

    private void Grow(int needed)
    {
        var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_array.Length * 2, Length + needed));
        _array.AsSpan(0, Length).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_array);
        _array = larger;
    }

    public void Dispose()
    {
        ArrayPool<byte>.Shared.Return(_array);
        _array = [];
        Length = 0;
    }
}
