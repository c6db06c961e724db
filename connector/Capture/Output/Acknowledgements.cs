namespace SourceStripe.Capture.Output;

/// <summary>
/// The checkpoints the runtime has acknowledged (committed), counted from the capture's first: a capture opened
/// with explicit acknowledgements is told of each with <c>acknowledge {checkpoints: N}</c>, N more at a time.
/// Whoever must know that a checkpoint is durable (a webhook answered only then) waits here for its number.
/// </summary>
public sealed class Acknowledgements
{
    private readonly Lock _lock = new();
    private readonly PriorityQueue<TaskCompletionSource, long> _waiting = new();
    private long _acknowledged;
    private bool _ended;

    /// <summary>How many checkpoints the runtime has acknowledged so far.</summary>
    public long Acknowledged
    {
        get { lock (_lock) { return _acknowledged; } }
    }

    /// <summary>The runtime acknowledged <paramref name="checkpoints"/> more checkpoints, the oldest unacknowledged first.</summary>
    public void Acknowledge(long checkpoints)
    {
        List<TaskCompletionSource> done = [];
        lock (_lock)
        {
            _acknowledged += Math.Max(0, checkpoints);
            while (_waiting.TryPeek(out var waiter, out var checkpoint) && checkpoint <= _acknowledged)
            {
                _waiting.Dequeue();
                done.Add(waiter);
            }
        }
        // Outside the lock: continuations may run inline.
        foreach (var waiter in done)
        {
            waiter.TrySetResult();
        }
    }

    /// <summary>
    /// Completes once checkpoint <paramref name="checkpoint"/> (1 is the capture's first) is acknowledged; cancelled
    /// if the capture ends first.
    /// </summary>
    public Task WhenAcknowledged(long checkpoint)
    {
        lock (_lock)
        {
            if (checkpoint <= _acknowledged)
            {
                return Task.CompletedTask;
            }
            if (_ended)
            {
                return Task.FromCanceled(new CancellationToken(canceled: true));
            }
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiting.Enqueue(waiter, checkpoint);
            return waiter.Task;
        }
    }

    /// <summary>The capture ended: no more acknowledgements will come, so no one waits for them.</summary>
    public void End()
    {
        List<TaskCompletionSource> abandoned = [];
        lock (_lock)
        {
            _ended = true;
            while (_waiting.TryDequeue(out var waiter, out _))
            {
                abandoned.Add(waiter);
            }
        }
        foreach (var waiter in abandoned)
        {
            waiter.TrySetCanceled();
        }
    }
}
