using System.Diagnostics;
using System.Threading.RateLimiting;

namespace SourceStripe.Stripe;

/// <summary>
/// The time one request may take, retries and their delays included, before it is given up
/// (<c>max_retry_seconds</c>). Waits on the rate limiter do not count: they measure how busy the key is,
/// not how Stripe answers, and a capture with many requests queued on the limiter must not fail them for
/// waiting their turn. The budget's token is cancelled when the time is spent; it is paused while the
/// request waits on the limiter.
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

    /// <summary>The budget ran out (as opposed to the caller cancelling).</summary>
    public bool Spent => _expiry.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Waits for the limiter's permit with the budget's clock stopped, then starts it again.</summary>
    public async ValueTask AcquireAsync(RateLimiter limiter)
    {
        _expiry.CancelAfter(Timeout.InfiniteTimeSpan);
        var before = Stopwatch.GetTimestamp();
        try
        {
            // The caller's token: the budget's own is paused and cannot fire while the request waits here.
            using (await limiter.AcquireAsync(1, _caller).ConfigureAwait(false))
            {
            }
        }
        finally
        {
            _waited += Stopwatch.GetElapsedTime(before);
            var left = _total - (Stopwatch.GetElapsedTime(_started) - _waited);
            _expiry.CancelAfter(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
    }

    public void Dispose() => _expiry.Dispose();
}
