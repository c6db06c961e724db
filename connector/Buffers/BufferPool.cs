using System.Buffers;
using System.Numerics;

namespace SourceStripe.Buffers;

/// <summary>
/// The buffers a capture holds its bytes in: response bodies from the moment they are read, and captured
/// lines until the writer has written them. It counts the bytes of every buffer handed out, so memory is
/// bounded in bytes rather than in pages: once <see cref="Limit"/> bytes are held, new work waits
/// (<see cref="HasRoom"/>, <see cref="RoomFreed"/>) until the writer frees some, while work already running
/// finishes. Freed buffers are kept for reuse as long as what is held and kept together stays within what the
/// capture has recently held at once (<see cref="Demand"/>), and at most half of <see cref="Limit"/>: buffers
/// are reused rather than left to the GC, which finds large ones only in its rare full collections (a pool
/// that kept nothing while the held bytes stood at the limit, a capture faster than its stdout, allocated a
/// buffer for every page and left 50 MB of large-object garbage behind), while a burst of large pages, or
/// a few pages that happened to be read at once, does not stay resident for the rest of the run (the shared
/// pool keeps what it once needed, per core and per thread). Sizes are powers of two from 64 KiB.
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
    private long _demand;
    private long _windowPeak;
    private int _rentsSinceDecay;
    private long _peak;

    public long Limit => limit;

    /// <summary>The most bytes of freed buffers kept for reuse.</summary>
    private long KeepLimit => limit / 2;

    /// <summary>Rents between two steps of <see cref="Demand"/>'s decay: a few seconds of a capture at Stripe's rate.</summary>
    private const int DecayRents = 256;

    /// <summary>
    /// The most bytes held at once lately: the largest <see cref="Held"/> seen, a quarter of its excess over the
    /// most held in the last <see cref="DecayRents"/> rents forgotten every as many rents. What is held and kept
    /// stays within it.
    /// </summary>
    public long Demand
    {
        get { lock (_gate) { return _demand; } }
    }

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
            if (++_rentsSinceDecay == DecayRents)
            {
                _rentsSinceDecay = 0;
                _demand = Math.Max(_windowPeak, _demand - ((_demand - _windowPeak) / 4));
                _windowPeak = _held;
                Evict(_demand - _held);
            }
            // A kept buffer up to four times the size will do: pages of different streams differ in size, and
            // a new buffer for each change would leave the old ones to the large object heap, which only the
            // rare full collections clear (measured: 50 MB of it in a capture without a rate limit).
            for (var larger = index; larger < Math.Min(Classes, index + 3); larger++)
            {
                if (_free[larger].TryPop(out var reused))
                {
                    _kept -= reused.Length;
                    HandOut(reused.Length);
                    return reused;
                }
            }
            HandOut(size);
            // A new buffer: when pages change size, the kept ones of the old sizes make way, so that this one
            // can be kept when it comes back.
            Evict(KeepLimit - size);
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
            if (_kept + size <= KeepLimit && _held + _kept + size <= _demand)
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

    /// <summary>Counts a buffer handed out. Call under the lock.</summary>
    private void HandOut(int size)
    {
        _held += size;
        _peak = Math.Max(_peak, _held);
        _windowPeak = Math.Max(_windowPeak, _held);
        _demand = Math.Max(_demand, _held);
    }

    /// <summary>Drops kept buffers, largest first, until at most <paramref name="keep"/> bytes are kept. Call under the lock.</summary>
    private void Evict(long keep)
    {
        for (var other = Classes - 1; other >= 0 && _kept > keep; other--)
        {
            while (_kept > keep && _free[other].TryPop(out var evicted))
            {
                _kept -= evicted.Length;
            }
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
