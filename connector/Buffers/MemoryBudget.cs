using System.Buffers;
using System.Numerics;

namespace SourceStripe.Buffers;

/// <summary>
/// The capture's one memory budget: the capture session makes it and hands it to the HTTP client (response
/// bodies are read into its buffers), to the writer (captured lines are built in its buffers and returned
/// once stdout has taken them) and to the scheduler (<see cref="HasRoom"/>, <see cref="RoomFreed"/>).
/// A byte is counted once, by whichever of two figures holds it: <see cref="Held"/>, the buffers handed out,
/// or <see cref="Admitted"/>, room let in for a body not read yet and the lines it becomes. Renting through
/// an <see cref="Admission"/> moves its bytes from one to the other, so a page is counted as its buffer while
/// it is read, its lines as theirs while the writer holds them, and never both in two places: a second count
/// (the writer's own bound beside this one) would stop the capture at half the memory it is allowed, or let
/// it hold twice what either says. Memory is bounded in bytes rather than in pages: once <see cref="Limit"/>
/// bytes are held, new work waits (<see cref="HasRoom"/>, and a body read by a caller that holds nothing yet,
/// <see cref="AdmitAsync"/>) until the writer frees some, while work already running finishes.
/// Freed buffers are kept for reuse as long as what is held and kept together stays within what the capture
/// has recently held at once (<see cref="Demand"/>), and at most <see cref="Limit"/> bytes of them: buffers
/// are reused rather than left to the GC, which finds large ones only in its rare full collections (a pool
/// that kept nothing while the held bytes stood at the limit, a capture faster than its stdout, allocated a
/// buffer for every page and left 50 MB of large-object garbage behind), while a burst of large pages, or
/// a few pages that happened to be read at once, does not stay resident for the rest of the run (the shared
/// pool keeps what it once needed, per core and per thread). Sizes are powers of two from 64 KiB.
/// The check when a unit starts is not enough alone: it let every free slot start while little was held,
/// and without latency 64 pages and their lines arrived at once (37-52 MB held against a 16 MiB limit, a
/// new large buffer for most of them, every GC a full one); with bodies admitted, 21-24 MB at most.
/// </summary>
public sealed class MemoryBudget : ArrayPool<byte>
{
    /// <summary>
    /// Room for a few dozen pages of Stripe's largest objects in flight while keeping the whole process
    /// well under 64 MB: with the runtime's own 20-odd MB, the capture's buffers are most of its memory.
    /// </summary>
    public const long DefaultLimit = 16 * 1024 * 1024;

    /// <summary>
    /// Enough for validate's probes and discover: they read one small page at a time and never wait for room.
    /// </summary>
    public const long ChecksLimit = 1024 * 1024;

    private const int SmallestShift = 16;
    private const int Classes = 31 - SmallestShift;

    private readonly Lock _gate = new();
    private readonly Stack<byte[]>[] _free = [.. Enumerable.Range(0, Classes).Select(_ => new Stack<byte[]>())];
    private readonly long _limit;
    /// <summary>Room admitted and not yet rented, counted beside the held bytes.</summary>
    private readonly AdmissionQueue _admissions;
    private long _kept;
    private long _held;
    private long _demand;
    private long _windowPeak;
    private int _rentsSinceDecay;
    private long _peak;

    public MemoryBudget(long limit = DefaultLimit)
    {
        _limit = limit;
        _admissions = new AdmissionQueue(limit, () => Interlocked.Read(ref _held));
    }

    public long Limit => _limit;

    /// <summary>The most bytes of freed buffers kept for reuse.</summary>
    private long KeepLimit => _limit;

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

    /// <summary>Every byte the budget counts: <see cref="Held"/> and <see cref="Admitted"/>, each byte in one of them.</summary>
    public long InUse => Held + Admitted;

    /// <summary>The most <see cref="Held"/> has been.</summary>
    public long Peak
    {
        get { lock (_gate) { return _peak; } }
    }

    /// <summary>Whether new work may start: fewer than <see cref="Limit"/> bytes are held.</summary>
    public bool HasRoom
    {
        get { lock (_gate) { return _held < _limit; } }
    }

    /// <summary>Raised (outside the pool's lock) when a return brings <see cref="Held"/> back under the limit.</summary>
    public event Action? RoomFreed;

    /// <summary>
    /// Waits, in arrival order and without polling, until <paramref name="buffers"/> buffers of
    /// <paramref name="minimumLength"/> bytes fit beside what is held and what was admitted before. Rent the
    /// buffers through the admission, which moves its bytes to the held ones, and dispose it to give back what
    /// it did not use. When nothing else is admitted, one is let in while anything is under the limit, so a
    /// page larger than the limit still passes. Only a caller that holds no buffer of this budget may wait
    /// here: one that does could be waiting for its own bytes.
    /// </summary>
    public async ValueTask<Admission> AdmitAsync(int minimumLength, int buffers, CancellationToken cancellation)
    {
        var size = (long)SizeFor(minimumLength) * buffers;
        await _admissions.WaitAsync(size, cancellation).ConfigureAwait(false);
        return new Admission(this, size);
    }

    /// <summary>
    /// Room admitted by <see cref="AdmitAsync"/>. A buffer rented through it is counted as held in place of
    /// as much of the room; disposing it (once, or more) gives the rest back and lets the next waiter in.
    /// </summary>
    public sealed class Admission : IDisposable
    {
        private readonly MemoryBudget _budget;
        private long _left;

        internal Admission(MemoryBudget budget, long bytes)
        {
            _budget = budget;
            _left = bytes;
        }

        /// <summary>Bytes admitted and not yet rented through this admission.</summary>
        public long Left => Interlocked.Read(ref _left);

        /// <summary>A buffer of the budget whose bytes come out of this room as far as it goes.</summary>
        public byte[] Rent(int minimumLength)
        {
            // Held first, then released from the room: for that instant the bytes count twice, never not at all.
            var buffer = _budget.Rent(minimumLength);
            Use(buffer.Length);
            return buffer;
        }

        public void Dispose() => Use(long.MaxValue);

        private void Use(long bytes)
        {
            long left, used;
            do
            {
                left = Interlocked.Read(ref _left);
                used = Math.Min(left, bytes);
            }
            while (used > 0 && Interlocked.CompareExchange(ref _left, left - used, left) != left);
            if (used > 0)
            {
                _budget._admissions.Release(used);
            }
        }
    }

    /// <summary>Bytes admitted and not yet rented.</summary>
    public long Admitted => _admissions.Admitted;

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
            freed = _held >= _limit && _held - size < _limit;
            _held -= size;
            _kept += size;
            _free[ClassOf(size)].Push(array);
            Evict(Math.Min(KeepLimit, _demand - _held));
        }
        _admissions.Recheck();
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

    /// <summary>
    /// Drops kept buffers, smallest first, until at most <paramref name="keep"/> bytes are kept: a larger
    /// buffer serves requests of its size and smaller, so keeping the large ones leaves fewer to allocate
    /// (bench (b): 125 MB of new buffers a run against 170 MB dropping the largest first). Call under the lock.
    /// </summary>
    private void Evict(long keep)
    {
        for (var other = 0; other < Classes && _kept > keep; other++)
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
