namespace SourceStripe.Buffers;

/// <summary>
/// Bytes that may be in flight at once. Producers wait here, before they take any lock, until enough is
/// released; waiters are served in arrival order, never by polling. One request larger than the whole
/// budget still passes once nothing else is in flight, so a huge page cannot wedge the capture.
/// <paramref name="alsoHeld"/>, when given, counts bytes held outside the budget against it too (the buffer
/// pool's held buffers): nothing passes while they alone reach the limit, and <see cref="Recheck"/> is
/// called when they shrink.
/// </summary>
public sealed class ByteBudget(long limit, Func<long>? alsoHeld = null)
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Bytes, TaskCompletionSource Ready)> _waiters = [];
    private long _inFlight;

    public long InFlight
    {
        get { lock (_gate) { return _inFlight; } }
    }

    public async Task WaitAsync(long bytes, CancellationToken cancellation)
    {
        TaskCompletionSource ready;
        lock (_gate)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                _inFlight += bytes;
                return;
            }
            ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue((bytes, ready));
        }
        // A cancelled waiter stays queued until its turn, when Release passes over it: the queue keeps its order.
        using (cancellation.Register(static state => ((TaskCompletionSource)state!).TrySetCanceled(), ready))
        {
            await ready.Task.ConfigureAwait(false);
        }
    }

    public void Release(long bytes)
    {
        lock (_gate)
        {
            _inFlight -= bytes;
            ServeWaiters();
        }
    }

    /// <summary>Lets waiters in that fit now: the bytes held outside the budget went down.</summary>
    public void Recheck()
    {
        lock (_gate)
        {
            ServeWaiters();
        }
    }

    /// <summary>Call under the lock.</summary>
    private void ServeWaiters()
    {
        while (_waiters.TryPeek(out var next) && Fits(next.Bytes))
        {
            _waiters.Dequeue();
            if (next.Ready.Task.IsCompleted)
            {
                continue;
            }
            _inFlight += next.Bytes;
            if (!next.Ready.TrySetResult())
            {
                _inFlight -= next.Bytes;
            }
        }
    }

    private bool Fits(long bytes)
    {
        var held = alsoHeld?.Invoke() ?? 0;
        return _inFlight == 0 ? held < limit : held + _inFlight + bytes <= limit;
    }
}
