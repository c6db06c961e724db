using System.Buffers;

namespace SourceStripe.Capture.Output;

/// <summary>
/// A growable byte buffer rented from a pool: a commit's documents are built in one and handed to the
/// writer as they are, so a page's bytes are copied once on their way to stdout.
/// </summary>
public sealed class PooledBufferWriter(ArrayPool<byte> pool, byte[] rented) : IBufferWriter<byte>, IDisposable
{
    private byte[] _buffer = rented;
    private int _written;

    public PooledBufferWriter(ArrayPool<byte> pool, int initialSize)
        : this(pool, pool.Rent(initialSize))
    {
    }

    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

    public int WrittenCount => _written;

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Ensure(sizeHint);
        return _buffer.AsSpan(_written);
    }

    private void Ensure(int sizeHint)
    {
        var needed = _written + Math.Max(sizeHint, 1);
        if (needed <= _buffer.Length)
        {
            return;
        }
        var larger = pool.Rent(Math.Max(needed, _buffer.Length * 2));
        WrittenSpan.CopyTo(larger);
        pool.Return(_buffer);
        _buffer = larger;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            pool.Return(_buffer);
            _buffer = [];
            _written = 0;
        }
    }
}
