using System.Diagnostics;
using System.Threading.RateLimiting;

namespace SourceStripe.Stripe;

/// <summary>
/// Time a request may take before it is given up: a whole request, retries and their delays included
/// (<c>max_retry_seconds</c>), or one attempt of it. Waiting its turn does not count (on the rate limiter,
/// for room in the capture's buffers): that measures how busy the key and the capture are, not how Stripe
/// answers, and a capture with many requests queued, or one whose stdout is slow, must not fail them for
/// waiting. The token is cancelled when the time is spent; the clock stops while the request waits.
/// </summary>
internal sealed class RequestBudget : IDisposable
{
    private readonly CancellationToken _caller;
    private readonly CancellationTokenSource _expiry;
    private readonly TimeSpan _total;
    private readonly long _started = Stopwatch.GetTimestamp();
    private TimeSpan _waited;

    public RequestBudget(TimeSpan total, CancellationToken caller)
    {
        _caller = caller;
        _total = total;
        _expiry = CancellationTokenSource.CreateLinkedTokenSource(caller);
        _expiry.CancelAfter(total);
    }

    /// <summary>Cancelled when the budget is spent or the caller cancels.</summary>
    public CancellationToken Token => _expiry.Token;

    /// <summary>The caller's own token, which a wait with the clock stopped still honours.</summary>
    public CancellationToken Caller => _caller;

    /// <summary>The budget ran out (as opposed to the caller cancelling).</summary>
    public bool Spent => _expiry.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Time spent so far, waits excluded.</summary>
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(_started) - _waited;

    /// <summary>Waits for the limiter's permit for <paramref name="endpoint"/> with the budget's clock stopped.</summary>
    public async ValueTask AcquireAsync(PartitionedRateLimiter<RequestEndpoint> limiter, RequestEndpoint endpoint)
    {
        using (Pause())
        {
            // The caller's token: the budget's own is paused and cannot fire while the request waits here.
            using (await limiter.AcquireAsync(endpoint, 1, _caller).ConfigureAwait(false))
            {
            }
        }
    }

    /// <summary>Stops the clock until the returned value is disposed.</summary>
    public Paused Pause()
    {
        _expiry.CancelAfter(Timeout.InfiniteTimeSpan);
        return new Paused(this, Stopwatch.GetTimestamp());
    }

    public readonly struct Paused(RequestBudget budget, long since) : IDisposable
    {
        public void Dispose()
        {
            budget._waited += Stopwatch.GetElapsedTime(since);
            var left = budget._total - (Stopwatch.GetElapsedTime(budget._started) - budget._waited);
            budget._expiry.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    public void Dispose() => _expiry.Dispose();
}
