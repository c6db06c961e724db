namespace SourceStripe.Simulator.Webhooks;

/// <summary>
/// Every delivery attempt, in the order they ended, and waiters for attempts to come: tests synchronise on
/// deliveries (e.g. "ten answered 2xx") instead of sleeping.
/// </summary>
public sealed class WebhookAttemptLog
{
    private readonly Lock _gate = new();
    private readonly List<WebhookAttempt> _attempts = [];
    private readonly List<Waiter> _waiters = [];

    /// <summary>A snapshot of the attempts so far.</summary>
    public IReadOnlyList<WebhookAttempt> Snapshot()
    {
        lock (_gate)
        {
            return [.. _attempts];
        }
    }

    /// <summary>
    /// Completes once <paramref name="count"/> attempts matching <paramref name="match"/> have ended, those already in
    /// the log included, and returns the log at that moment. Cancelling <paramref name="ct"/> (a test's timeout) fails it.
    /// </summary>
    public async Task<IReadOnlyList<WebhookAttempt>> WaitForAsync(Func<WebhookAttempt, bool> match, int count, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(match);
        var waiter = new Waiter(match, count);
        lock (_gate)
        {
            waiter.Seen = _attempts.Count(match);
            if (waiter.Seen >= count)
            {
                return [.. _attempts];
            }
            _waiters.Add(waiter);
        }
        using (ct.Register(() => waiter.Done.TrySetCanceled(ct)))
        {
            try
            {
                return await waiter.Done.Task.ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    _waiters.Remove(waiter);
                }
            }
        }
    }

    /// <summary>Completes once <paramref name="count"/> deliveries have been answered 2xx.</summary>
    public Task<IReadOnlyList<WebhookAttempt>> WaitForDeliveredAsync(int count, CancellationToken ct = default) =>
        WaitForAsync(a => a.Delivered, count, ct);

    internal void Add(WebhookAttempt attempt)
    {
        lock (_gate)
        {
            _attempts.Add(attempt);
            foreach (var waiter in _waiters)
            {
                // Continuations run asynchronously (the waiter's option): none runs under this lock.
                if (waiter.Match(attempt) && ++waiter.Seen == waiter.Count)
                {
                    waiter.Done.TrySetResult([.. _attempts]);
                }
            }
        }
    }

    private sealed class Waiter(Func<WebhookAttempt, bool> match, int count)
    {
        public Func<WebhookAttempt, bool> Match { get; } = match;

        public int Count { get; } = count;

        public int Seen { get; set; }

        public TaskCompletionSource<IReadOnlyList<WebhookAttempt>> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
