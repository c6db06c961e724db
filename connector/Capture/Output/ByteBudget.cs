namespace SourceStripe.Capture;

/// <summary>
/// Bytes the capture may hold in flight towards stdout. Producers wait here, before they take any lock,
/// until the writer has written enough; waiters are served in arrival order. One commit larger than the
/// whole budget still passes once nothing else is in flight, so a huge page cannot wedge the capture.
/// </summary>
public sealed class ByteBudget(long limit)
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
    }

    private bool Fits(long bytes) => _inFlight == 0 || _inFlight + bytes <= limit;
}
