using SourceStripe.Buffers;

namespace SourceStripe.Tests.Buffers;

public sealed class AdmissionQueueTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_request_larger_than_the_limit_passes_once_nothing_else_is_admitted()
    {
        var queue = new AdmissionQueue(10, () => 0);
        await queue.WaitAsync(4, CancellationToken.None);
        var huge = queue.WaitAsync(1000, CancellationToken.None);
        Assert.False(huge.IsCompleted);
        queue.Release(4);
        await huge.WaitAsync(Generous);
        Assert.Equal(1000, queue.Admitted);
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_its_turn_to_the_next()
    {
        var queue = new AdmissionQueue(10, () => 0);
        await queue.WaitAsync(10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = queue.WaitAsync(5, cancel.Token);
        var next = queue.WaitAsync(5, CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        queue.Release(10);
        await next.WaitAsync(Generous);
        Assert.Equal(5, queue.Admitted);
    }
}
