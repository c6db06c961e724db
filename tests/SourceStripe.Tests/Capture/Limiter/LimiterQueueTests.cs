using System.Threading.RateLimiting;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Limiter;

/// <summary>
/// The limiter's queue on a fake clock stepped a millisecond at a time: a release completes the waiter's
/// task inside the step that reaches its slot, so nothing here depends on how fast the machine runs.
/// </summary>
public sealed class LimiterQueueTests
{
    [Fact]
    public void Waiters_leave_in_the_order_they_came_one_slot_apart_released_by_one_timer()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        var waiters = new List<Task<RateLimitLease>>();
        var releasedAt = new List<long>();
        for (var ms = 0; ms < 3000 && releasedAt.Count < 200; ms++)
        {
            // Contention: newcomers keep arriving while earlier ones wait.
            if (waiters.Count < 200)
            {
                waiters.Add(limiter.AcquireAsync(Endpoints.Charges).AsTask());
                waiters.Add(limiter.AcquireAsync(Endpoints.Charges).AsTask());
            }
            while (releasedAt.Count < waiters.Count && waiters[releasedAt.Count].IsCompleted)
            {
                releasedAt.Add(clock.Milliseconds);
            }
            // Strictly in turn: every waiter released so far came before every one still waiting.
            Assert.All(waiters.Skip(releasedAt.Count), w => Assert.False(w.IsCompleted));
            clock.Tick();
        }
        Assert.Equal(200, releasedAt.Count);
        Assert.All(waiters, w => Assert.True(w.Result.IsAcquired));
        // At 78 to 98 requests a second: 10 to 13 ms apart, never two in one step.
        Assert.All(releasedAt.Zip(releasedAt.Skip(1)), p => Assert.InRange(p.Second - p.First, 10, 13));
        // No polling: one timer, and one callback per waiter it released.
        Assert.Equal(1, clock.Timers);
        Assert.Equal(199, clock.Callbacks);
    }

    [Fact]
    public void A_waiter_is_released_at_the_first_millisecond_of_its_slot_and_not_before()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        Assert.True(limiter.AttemptAcquire(Endpoints.Charges).IsAcquired);
        var rate = limiter.CurrentRate;
        var slot = clock.GetTimestamp() + (long)(TimeSpan.TicksPerSecond / rate);
        var waiters = Enumerable.Range(0, 5).Select(_ => limiter.AcquireAsync(Endpoints.Charges).AsTask()).ToList();
        foreach (var waiter in waiters)
        {
            while (!waiter.IsCompleted)
            {
                Assert.True(clock.GetTimestamp() < slot, "not released at its slot");
                clock.Tick();
            }
            Assert.InRange(clock.GetTimestamp(), slot, slot + TimeSpan.TicksPerMillisecond - 1);
            // The next slot follows this one's schedule, at the rate of the moment it was taken.
            slot += (long)(TimeSpan.TicksPerSecond / limiter.CurrentRate);
            Assert.True(limiter.CurrentRate > rate);
        }
    }

    [Fact]
    public void A_late_timer_lets_no_one_jump_the_queue_and_its_lateness_is_made_up()
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        Assert.True(limiter.AttemptAcquire(Endpoints.Charges).IsAcquired);
        var first = limiter.AcquireAsync(Endpoints.Charges).AsTask();
        clock.Hold = true;
        clock.Advance(TimeSpan.FromMilliseconds(16));
        // The slot is open but the timer has not run: a caller trying its luck, or arriving late, waits its turn.
        Assert.False(first.IsCompleted);
        Assert.False(limiter.AttemptAcquire(Endpoints.Charges).IsAcquired);
        var second = limiter.AcquireAsync(Endpoints.Charges).AsTask();
        clock.Hold = false;
        clock.FireHeld();
        Assert.True(first.IsCompleted);
        Assert.False(second.IsCompleted);
        // 3 ms late: the next slot is one interval (about 12.7 ms) after the late one's, not after the release.
        clock.Advance(TimeSpan.FromMilliseconds(10));
        Assert.True(second.IsCompleted);
    }

    [Fact]
    public async Task A_cancelled_waiter_leaves_the_queue_and_the_next_takes_its_slot()
    {
        var clock = new LimiterClock();
        using var reference = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        using var limiter = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        Assert.True(reference.AttemptAcquire(Endpoints.Charges).IsAcquired);
        Assert.True(limiter.AttemptAcquire(Endpoints.Charges).IsAcquired);
        var expected = Enumerable.Range(0, 3).Select(_ => reference.AcquireAsync(Endpoints.Charges).AsTask()).ToList();
        using var head = new CancellationTokenSource();
        using var middle = new CancellationTokenSource();
        var cancelledHead = limiter.AcquireAsync(Endpoints.Charges, 1, head.Token).AsTask();
        var next = limiter.AcquireAsync(Endpoints.Charges).AsTask();
        var cancelledMiddle = limiter.AcquireAsync(Endpoints.Charges, 1, middle.Token).AsTask();
        var last = limiter.AcquireAsync(Endpoints.Charges).AsTask();
        await head.CancelAsync();
        await middle.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledHead);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledMiddle);
        Assert.Equal(2, limiter.GetStatistics(Endpoints.Charges)!.CurrentQueuedCount);
        // The survivors go at the first two slots, exactly when an undisturbed queue's first two go.
        for (var ms = 0; ms < 100; ms++)
        {
            Assert.Equal(expected[0].IsCompleted, next.IsCompleted);
            Assert.Equal(expected[1].IsCompleted, last.IsCompleted);
            clock.Tick();
        }
        Assert.True(last.IsCompleted);
        // Nothing leaked: no permit held by the cancelled, no queue left; one more after a quiet second goes at once.
        var statistics = limiter.GetStatistics(Endpoints.Charges)!;
        Assert.Equal(0, statistics.CurrentQueuedCount);
        Assert.Equal(3, statistics.TotalSuccessfulLeases);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.AcquireAsync(Endpoints.Charges).AsTask().IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_token_cancelled_before_the_wait_queues_nothing_and_disposing_fails_the_waiters()
    {
        var clock = new LimiterClock();
        var limiter = new StripeRateLimiter(100, Endpoints.Unbounded, clock);
        Assert.True(limiter.AttemptAcquire(Endpoints.Charges).IsAcquired);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => limiter.AcquireAsync(Endpoints.Charges, 1, new CancellationToken(true)).AsTask());
        Assert.Equal(0, limiter.GetStatistics(Endpoints.Charges)!.CurrentQueuedCount);
        var waiting = limiter.AcquireAsync(Endpoints.Charges).AsTask();
        limiter.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => waiting);
        clock.Advance(TimeSpan.FromSeconds(1));
    }
}
