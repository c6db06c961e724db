using System.Buffers;
using System.Numerics;

namespace SourceStripe.Buffers;

/// <summary>
/// The buffers a capture holds its bytes in: response bodies from the moment they are read, and captured
/// lines until the writer has written them. It counts the bytes of every buffer handed out, so memory is
/// bounded in bytes rather than in pages: once <see cref="Limit"/> bytes are held, new work waits
/// (<see cref="HasRoom"/>, <see cref="RoomFreed"/>) until the writer frees some, while work already running
/// finishes. Freed buffers are kept for reuse while held and kept ones together stay within
/// <see cref="Limit"/>, and dropped beyond it, so a burst of large pages does not stay resident for the
/// rest of the run (the shared pool keeps what it once needed, per core and per thread), and buffers are
/// reused rather than left to the GC, which finds large ones only in its rare full collections. Sizes are
/// powers of two from 64 KiB.
/// </summary>
public sealed class BufferPool(long limit = BufferPool.DefaultLimit) : ArrayPool<byte>
{
    /// <summary>
    /// Room for a few dozen pages of Stripe's largest objects in flight while keeping the whole process
    /// well under 64 MB: with the runtime's own 20-odd MB, the capture's buffers are most of its memory.
    /// </summary>
    public const long DefaultLimit = 16 * 1024 * 1024;

    private const int SmallestShift = 16;
    private const int Classes = 31 - SmallestShift;

    private readonly Lock _gate = new();
    private readonly Stack<byte[]>[] _free = [.. Enumerable.Range(0, Classes).Select(_ => new Stack<byte[]>())];
    private long _kept;
    private long _held;
    private long _peak;

    public long Limit => limit;

    /// <summary>Bytes of the buffers handed out and not yet returned.</summary>
    public long Held
    {
        get { lock (_gate) { return _held; } }
    }

    /// <summary>The most <see cref="Held"/> has been.</summary>
    public long Peak
    {
        get { lock (_gate) { return _peak; } }
    }

    /// <summary>Whether new work may start: fewer than <see cref="Limit"/> bytes are held.</summary>
    public bool HasRoom
    {
        get { lock (_gate) { return _held < limit; } }
    }

    /// <summary>Raised (outside the pool's lock) when a return brings <see cref="Held"/> back under the limit.</summary>
    public event Action? RoomFreed;

    public override byte[] Rent(int minimumLength)
    {
        var size = SizeFor(minimumLength);
        var index = ClassOf(size);
        lock (_gate)
        {
            _held += size;
            _peak = Math.Max(_peak, _held);
            if (_free[index].TryPop(out var reused))
            {
                _kept -= size;
                return reused;
            }
            // A new buffer: make room for it among the kept ones first, so that held and kept buffers together
            // stay within the limit and the garbage the GC must find is only what a change of sizes leaves.
            for (var other = Classes - 1; other >= 0 && _kept > 0 && _held + _kept > limit; other--)
            {
                while (_free[other].TryPop(out var evicted))
                {
                    _kept -= evicted.Length;
                    if (_held + _kept <= limit)
                    {
                        break;
                    }
                }
            }
        }
        return GC.AllocateUninitializedArray<byte>(size);
    }

    public override void Return(byte[] array, bool clearArray = false)
    {
        var size = array.Length;
        if (size < 1 << SmallestShift || !BitOperations.IsPow2(size) || size > 1 << 30)
        {
            throw new ArgumentException("the buffer did not come from this pool", nameof(array));
        }
        bool freed;
        lock (_gate)
        {
            freed = _held >= limit && _held - size < limit;
            _held -= size;
            if (_held + _kept + size <= limit)
            {
                _kept += size;
                _free[ClassOf(size)].Push(array);
            }
        }
        if (freed)
        {
            RoomFreed?.Invoke();
        }
    }

    private static int ClassOf(int size) => BitOperations.Log2((uint)size) - SmallestShift;

    private static int SizeFor(int minimumLength) => minimumLength switch
    {
        < 0 => throw new ArgumentOutOfRangeException(nameof(minimumLength)),
        <= 1 << SmallestShift => 1 << SmallestShift,
        > 1 << 30 => throw new ArgumentOutOfRangeException(nameof(minimumLength), "no buffer is larger than 1 GiB"),
        _ => (int)BitOperations.RoundUpToPowerOf2((uint)minimumLength),
    };
}
