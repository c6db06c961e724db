using System.Text;
using SourceStripe.Buffers;
using SourceStripe.Capture.Output;

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

    private static PooledBufferWriter Lines(MemoryBudget memory, string text)
    {
        var lines = new PooledBufferWriter(memory, 16 * 1024);
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
        var memory = new MemoryBudget();
        var writer = new CaptureWriter(sink, memory);
        var run = writer.RunAsync();
        for (var i = 0; i < 20; i++)
        {
            writer.Add(Lines(memory, $"d{i}"), 1, i % 2 == 0 ? "a" : "b", Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"));
        }
        writer.Complete();
        await run.WaitAsync(Generous);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"d{i}|{(i % 2 == 0 ? "a" : "b")}={{\"n\":{i}}}"), sink.Written);
        Assert.Equal(20, writer.Documents);
        Assert.Equal(20, writer.Checkpoints);
        Assert.True(sink.Flushes >= 1);
        Assert.Equal(0, memory.InUse);
    }

    [Fact]
    public async Task Lines_waiting_for_a_slow_sink_hold_the_memory_budget_and_free_it_once_written()
    {
        var sink = new HeldSink();
        var memory = new MemoryBudget(limit: 64 * 1024);
        var freed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        memory.RoomFreed += () => freed.TrySetResult();
        var writer = new CaptureWriter(sink, memory);
        var run = writer.RunAsync();
        // Handing over never waits, however full the budget: the lines are counted already.
        writer.Add(Lines(memory, "12345678"), 1, "a", "{}"u8.ToArray());
        writer.Add(Lines(memory, "abcdefgh"), 1, "a", "{}"u8.ToArray());
        Assert.Equal(2 * 64 * 1024, memory.InUse);
        Assert.False(memory.HasRoom);

        sink.Gate.Release(2);
        await freed.Task.WaitAsync(Generous);
        writer.Complete();
        await run.WaitAsync(Generous);
        Assert.Equal(2, sink.Written.Count);
        Assert.Equal(0, memory.InUse);
        Assert.True(memory.HasRoom);
    }

    [Fact]
    public async Task A_failing_sink_ends_the_writer_returns_what_was_queued_and_later_commits_are_refused()
    {
        var memory = new MemoryBudget();
        var writer = new CaptureWriter(new FailingSink(), memory);
        var run = writer.RunAsync();
        writer.Add(Lines(memory, "1234"), 1, "a", "{}"u8.ToArray());
        await Assert.ThrowsAsync<IOException>(() => run.WaitAsync(Generous));
        Assert.Throws<InvalidOperationException>(() => writer.Add(Lines(memory, "5678"), 1, "a", "{}"u8.ToArray()));
        Assert.Equal(0, memory.InUse);
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
