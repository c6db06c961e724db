using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;

namespace SourceStripe.Stripe;

/// <summary>
/// The one limiter every Stripe request waits on, at the pace <see cref="PacingPolicy"/> sets. Waiters
/// leave strictly in turn: one timer, armed for the moment the head's slot opens, releases it, so no waiter
/// polls, none that came later overtakes, and <see cref="RateLimiter.AttemptAcquire(int)"/> takes nothing
/// while any waits. A slot opens when both allow it: the log of the requests sent in the last second holds
/// fewer than the policy's maximum (Stripe counts the same way), and the spacing from the one before has
/// passed, so that requests leave evenly rather than in clumps that would reach Stripe in the same second.
/// The spacing follows the schedule, not the moment the timer fired: timers fire late (the system's counts
/// whole milliseconds, a busy thread pool adds more), and measuring from the late moment would stretch
/// every interval and lower the rate. Up to half an interval of lateness (at least 5 ms) is made up, no
/// more, so an idle limiter banks no burst.
/// </summary>
public sealed class AdaptiveRateLimiter : RateLimiter
{
    /// <summary>How late a timer may fire, at most, without lowering the rate.</summary>
    private static readonly TimeSpan MaxTimerLateness = TimeSpan.FromMilliseconds(5);

    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly ITimer _timer;
    private readonly PacingPolicy _policy;
    private readonly Queue<long> _sent = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _next;
    private long _granted;
    private bool _disposed;

    public AdaptiveRateLimiter(double requestsPerSecond, TimeProvider? clock = null)
    {
        _clock = clock ?? TimeProvider.System;
        _next = _clock.GetTimestamp();
        _policy = new PacingPolicy(requestsPerSecond, _next, _clock.TimestampFrequency);
        _timer = _clock.CreateTimer(static state => ((AdaptiveRateLimiter)state!).Release(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The rate requests are paced at now.</summary>
    public double CurrentRate
    {
        get { lock (_gate) { return _policy.Rate(_clock.GetTimestamp()); } }
    }

    /// <summary>How many 429s lowered the rate.</summary>
    public long Throttles
    {
        get { lock (_gate) { return _policy.Throttles; } }
    }

    public override TimeSpan? IdleDuration => null;

    /// <summary>Stripe answered 429: slow down.</summary>
    public void OnThrottled()
    {
        lock (_gate)
        {
            _policy.Throttled(_clock.GetTimestamp());
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            Expire(_clock.GetTimestamp());
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = Math.Max(0, _policy.MaxPerSecond - _sent.Count),
                CurrentQueuedCount = _waiters.Sum(w => w.Permits),
                TotalSuccessfulLeases = _granted,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return TryTake(permitCount, _clock.GetTimestamp()) ? Lease.Granted : Lease.Denied;
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _clock.GetTimestamp();
            if (TryTake(permitCount, now))
            {
                return ValueTask.FromResult<RateLimitLease>(Lease.Granted);
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<RateLimitLease>(cancellationToken);
            }
            waiter = new Waiter(this, permitCount);
            waiter.Node = _waiters.AddLast(waiter);
            // Under the lock, so no release sees the waiter before its registration. A token cancelled since
            // the check above runs the cancellation here, re-entering the lock (a Lock is reentrant).
            waiter.Watch(cancellationToken);
            if (_waiters.First == waiter.Node)
            {
                Arm(now);
            }
        }
        // The waiter's own task: a release completes it at once (its continuations run on the thread pool).
        return new ValueTask<RateLimitLease>(waiter.Task);
    }

    /// <summary>Takes a slot now if none waits and one is open. Holds the lock.</summary>
    private bool TryTake(int permits, long now)
    {
        if (_waiters.Count > 0 || SlotFor(permits, now) > now)
        {
            return false;
        }
        // Nobody waited for this slot: it is taken now, and the next is spaced from now.
        Take(permits, now, now);
        return true;
    }

    /// <summary>The earliest time a request of <paramref name="permits"/> may leave. Holds the lock.</summary>
    private long SlotFor(int permits, long now)
    {
        Expire(now);
        // An oversized request waits for the log to empty rather than forever.
        var over = Math.Min(_sent.Count, _sent.Count + permits - _policy.MaxPerSecond);
        var logged = over <= 0 ? long.MinValue : _sent.ElementAt(over - 1) + _clock.TimestampFrequency;
        return Math.Max(_next, logged);
    }

    private void Expire(long now)
    {
        while (_sent.Count > 0 && now - _sent.Peek() >= _clock.TimestampFrequency)
        {
            _sent.Dequeue();
        }
    }

    /// <summary>Takes the slot that opened at <paramref name="slot"/>, at <paramref name="now"/>. Holds the lock.</summary>
    private void Take(int permits, long now, long slot)
    {
        var interval = _clock.TimestampFrequency / _policy.Rate(now) * permits;
        // The schedule may fall behind real time by half an interval, or by the few milliseconds a timer is
        // late, whichever is more: at a high rate (a proxy's limit, the demo) an interval is shorter than a
        // timer's tick, and one release per tick would cap the rate at a few hundred a second.
        var lag = Math.Max(interval / 2, _clock.TimestampFrequency * MaxTimerLateness.TotalSeconds);
        _next = Math.Max(slot + (long)interval, now + (long)(interval - lag));
        for (var i = 0; i < permits; i++)
        {
            _sent.Enqueue(now);
        }
        _granted++;
    }

    /// <summary>Arms the one timer for the head's slot, or disarms it when none waits. Holds the lock.</summary>
    private void Arm(long now)
    {
        if (_waiters.First is not { } head)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        // The system timer counts whole milliseconds: rounded down it would fire before the slot, twice.
        var ticks = SlotFor(head.Value.Permits, now) - now;
        var milliseconds = Math.Max(0, (long)Math.Ceiling(ticks * 1000.0 / _clock.TimestampFrequency));
        _timer.Change(TimeSpan.FromMilliseconds(milliseconds), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The timer: releases the head (and any behind it whose slot has opened too), then re-arms.</summary>
    private void Release()
    {
        List<Waiter>? ready = null;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            var now = _clock.GetTimestamp();
            while (_waiters.First is { } head && SlotFor(head.Value.Permits, now) is var slot && slot <= now)
            {
                _waiters.RemoveFirst();
                Take(head.Value.Permits, now, slot);
                (ready ??= []).Add(head.Value);
            }
            Arm(now);
        }
        // Outside the lock; the waiters' continuations run on the thread pool, not on the timer's thread.
        foreach (var waiter in ready ?? [])
        {
            waiter.Complete(Lease.Granted, null);
        }
    }

    /// <summary>Takes a cancelled waiter out of the queue, if a slot has not released it first.</summary>
    private bool Remove(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is null)
            {
                return false;
            }
            var wasHead = waiter.Node == _waiters.First;
            _waiters.Remove(waiter.Node);
            if (wasHead && !_disposed)
            {
                Arm(_clock.GetTimestamp());
            }
            return true;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        Waiter[] waiting;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            waiting = [.. _waiters];
            _waiters.Clear();
        }
        _timer.Dispose();
        foreach (var waiter in waiting)
        {
            waiter.Complete(null, new ObjectDisposedException(nameof(AdaptiveRateLimiter)));
        }
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }

    /// <summary>One queued request; completed exactly once, by whoever takes it out of the queue.</summary>
    private sealed class Waiter(AdaptiveRateLimiter limiter, int permits) : TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public int Permits => permits;

        public LinkedListNode<Waiter>? Node { get; set; }

        private CancellationTokenRegistration _cancellation;

        public void Watch(CancellationToken token) =>
            _cancellation = token.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), this);

        /// <summary>Grants or fails it; unregistering does not wait for a cancellation running elsewhere, which finds it gone.</summary>
        public void Complete(RateLimitLease? lease, Exception? failure)
        {
            _ = lease is null ? TrySetException(failure!) : TrySetResult(lease);
            _cancellation.Unregister();
        }

        private void Cancel(CancellationToken token)
        {
            if (limiter.Remove(this))
            {
                TrySetCanceled(token);
            }
        }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Denied = new(false);

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, [MaybeNullWhen(false)] out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
