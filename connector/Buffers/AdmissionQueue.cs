namespace SourceStripe.Buffers;

/// <summary>
/// The waiting line of <see cref="MemoryBudget.AdmitAsync"/>: room for bytes not yet in any buffer, let in
/// while it fits under <paramref name="limit"/> beside what <paramref name="held"/> says the buffers handed
/// out take. Callers wait here before they take any lock; they are served in arrival order, never by
/// polling. One request larger than the whole limit still passes once nothing else is admitted and the held
/// bytes are under the limit, so a huge page cannot wedge the capture. <see cref="Recheck"/> is called when
/// the held bytes go down.
/// </summary>
public sealed class AdmissionQueue(long limit, Func<long> held)
{
    private readonly Lock _gate = new();
    private readonly Queue<(long Bytes, TaskCompletionSource Ready)> _waiters = [];
    private long _admitted;

    public long Admitted
    {
        get { lock (_gate) { return _admitted; } }
    }

    public async Task WaitAsync(long bytes, CancellationToken cancellation)
    {
        TaskCompletionSource ready;
        lock (_gate)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                _admitted += bytes;
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
            _admitted -= bytes;
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
            _admitted += next.Bytes;
            if (!next.Ready.TrySetResult())
            {
                _admitted -= next.Bytes;
            }
        }
    }

    private bool Fits(long bytes)
    {
        var heldNow = held();
        return _admitted == 0 ? heldNow < limit : heldNow + _admitted + bytes <= limit;
    }
}
