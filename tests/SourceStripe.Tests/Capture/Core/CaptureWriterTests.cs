using System.Text;
using SourceStripe.Buffers;
using SourceStripe.Capture;

namespace SourceStripe.Tests.Capture.Core;

public sealed class CaptureWriterTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(60);

    /// <summary>A sink that records what it is given and can be held, as a stdout Flow is slow to read.</summary>
    private sealed class HeldSink : ICaptureSink
    {
        public SemaphoreSlim Gate { get; } = new(0);

        public List<string> Written { get; } = [];

        public int Flushes { get; private set; }

        public void Opened() => Written.Add("opened");

        public void Commit(ReadOnlySpan<byte> capturedLines, int documents, string? stateKey, ReadOnlySpan<byte> statePatch)
        {
            Gate.Wait();
            lock (Written)
            {
                Written.Add($"{Encoding.UTF8.GetString(capturedLines)}|{stateKey}={Encoding.UTF8.GetString(statePatch)}");
            }
        }

        public void Flush() => Flushes++;
    }

    private static PooledBufferWriter Lines(string text)
    {
        var lines = new PooledBufferWriter(System.Buffers.ArrayPool<byte>.Shared, 16 * 1024);
        var bytes = Encoding.UTF8.GetBytes(text);
        bytes.CopyTo(lines.GetSpan(bytes.Length));
        lines.Advance(bytes.Length);
        return lines;
    }

    [Fact]
    public async Task Writes_each_commit_documents_first_in_the_order_handed_over()
    {
        var sink = new HeldSink();
        sink.Gate.Release(100);
        var writer = new CaptureWriter(sink);
        var run = writer.RunAsync();
        for (var i = 0; i < 20; i++)
        {
            await writer.ReserveAsync(2, CancellationToken.None);
            writer.Add(Lines($"d{i}"), 1, i % 2 == 0 ? "a" : "b", Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"), 2);
        }
        writer.Complete();
        await run.WaitAsync(Generous);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"d{i}|{(i % 2 == 0 ? "a" : "b")}={{\"n\":{i}}}"), sink.Written);
        Assert.Equal(20, writer.Documents);
        Assert.Equal(20, writer.Checkpoints);
        Assert.True(sink.Flushes >= 1);
    }

    [Fact]
    public async Task A_producer_waits_for_room_while_the_sink_is_slow_and_goes_on_once_it_has_written()
    {
        var sink = new HeldSink();
        var writer = new CaptureWriter(sink, budgetBytes: 10);
        var run = writer.RunAsync();
        await writer.ReserveAsync(8, CancellationToken.None);
        writer.Add(Lines("12345678"), 1, "a", "{}"u8.ToArray(), 8);
        // The sink holds the first commit: no room for 8 more bytes until it is written.
        var second = writer.ReserveAsync(8, CancellationToken.None);
        var small = writer.ReserveAsync(1, CancellationToken.None);
        Assert.False(second.IsCompleted);
        Assert.False(small.IsCompleted, "waiters are served in order: a small one does not pass a large one");
        sink.Gate.Release();
        await second.WaitAsync(Generous);
        writer.Add(Lines("abcdefgh"), 1, "a", "{}"u8.ToArray(), 8);
        sink.Gate.Release(10);
        await small.WaitAsync(Generous);
        writer.Add(null, 0, "a", "{}"u8.ToArray(), 1);
        writer.Complete();
        await run.WaitAsync(Generous);
        Assert.Equal(3, sink.Written.Count);
    }

    [Fact]
    public async Task A_commit_larger_than_the_budget_passes_once_nothing_else_is_in_flight()
    {
        var budget = new ByteBudget(10);
        await budget.WaitAsync(4, CancellationToken.None);
        var huge = budget.WaitAsync(1000, CancellationToken.None);
        Assert.False(huge.IsCompleted);
        budget.Release(4);
        await huge.WaitAsync(Generous);
        Assert.Equal(1000, budget.InFlight);
    }

    [Fact]
    public async Task A_cancelled_waiter_gives_its_turn_to_the_next()
    {
        var budget = new ByteBudget(10);
        await budget.WaitAsync(10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = budget.WaitAsync(5, cancel.Token);
        var next = budget.WaitAsync(5, CancellationToken.None);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        budget.Release(10);
        await next.WaitAsync(Generous);
        Assert.Equal(5, budget.InFlight);
    }

    [Fact]
    public async Task A_failing_sink_ends_the_writer_and_later_commits_are_refused()
    {
        var writer = new CaptureWriter(new FailingSink(), budgetBytes: 10);
        var run = writer.RunAsync();
        await writer.ReserveAsync(4, CancellationToken.None);
        writer.Add(Lines("1234"), 1, "a", "{}"u8.ToArray(), 4);
        await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(Generous));
        await writer.ReserveAsync(10, CancellationToken.None).WaitAsync(Generous);
        Assert.Throws<InvalidOperationException>(() => writer.Add(null, 0, "a", "{}"u8.ToArray(), 10));
    }

    private sealed class FailingSink : ICaptureSink
    {
        public void Opened()
        {
        }

        public void Commit(ReadOnlySpan<byte> capturedLines, int documents, string? stateKey, ReadOnlySpan<byte> statePatch) =>
            throw new IOException("Broken pipe");

        public void Flush()
        {
        }
    }
}
