using System.Threading.Channels;
using SourceStripe.Buffers;

namespace SourceStripe.Capture.Output;

/// <summary>
/// The capture's one writer: capture code hands it documents with the checkpoint that covers them, and
/// one task writes them to the sink in the order they were handed over. Handing over never blocks, so no
/// lock is ever held while stdout blocks. The documents are lines in buffers of the capture's
/// <see cref="MemoryBudget"/> (<see cref="NewBatch"/>), counted there once, until they are written and
/// returned: while stdout is slow, they hold the budget, and so the capture, back.
/// </summary>
public sealed class CaptureWriter
{
    private readonly ICaptureSink _sink;
    private readonly MemoryBudget _memory;
    private readonly Channel<Commit> _commits = Channel.CreateUnbounded<Commit>(new UnboundedChannelOptions { SingleReader = true });
    private long _documents;
    private long _checkpoints;
    private long _queued;

    public CaptureWriter(ICaptureSink sink, MemoryBudget memory)
    {
        _sink = sink;
        _memory = memory;
    }

    public long Documents => Interlocked.Read(ref _documents);

    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    /// <summary>
    /// Commits handed over so far, each a checkpoint: read after an <see cref="Add"/> returns, at least the number of
    /// the checkpoint that add makes (1 is the capture's first), as each add counts itself before it queues.
    /// </summary>
    public long Queued => Interlocked.Read(ref _queued);

    public void Opened() => _sink.Opened();

    /// <summary>A batch whose lines are built in the memory budget's buffers, for <see cref="Add"/>.</summary>
    public CommitBatch NewBatch() => new(_memory);

    /// <summary>
    /// Queues <paramref name="documents"/> (captured lines; the writer disposes them) and then the checkpoint
    /// <paramref name="statePatch"/> (a merge patch of the whole state) made by the binding of <paramref name="stateKey"/>.
    /// Never blocks: the lines are already counted in the memory budget. Callers add under the lock that
    /// orders their state.
    /// </summary>
    public void Add(PooledBufferWriter? documents, int count, string? stateKey, byte[] statePatch)
    {
        Interlocked.Increment(ref _queued);
        if (!_commits.Writer.TryWrite(new Commit(documents, count, stateKey, statePatch)))
        {
            documents?.Dispose();
            throw new InvalidOperationException("the capture's writer has stopped");
        }
    }

    /// <summary>No more commits: <see cref="RunAsync"/> ends once it has written what is queued.</summary>
    public void Complete() => _commits.Writer.TryComplete();

    /// <summary>Writes commits in order until <see cref="Complete"/>; a sink failure (stdout gone) ends it with that error.</summary>
    public async Task RunAsync()
    {
        var reader = _commits.Reader;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out var commit))
                {
                    try
                    {
                        _sink.Commit(commit.Documents is { } lines ? lines.WrittenSpan : [], commit.Count, commit.StateKey, commit.Patch);
                    }
                    finally
                    {
                        commit.Documents?.Dispose();
                    }
                    Interlocked.Add(ref _documents, commit.Count);
                    Interlocked.Increment(ref _checkpoints);
                }
                _sink.Flush();
            }
        }
        catch
        {
            // Later commits are refused, and what is queued goes back to the budget: bodies waiting for room get it.
            _commits.Writer.TryComplete();
            while (reader.TryRead(out var dropped))
            {
                dropped.Documents?.Dispose();
            }
            throw;
        }
    }

    private sealed record Commit(PooledBufferWriter? Documents, int Count, string? StateKey, byte[] Patch);
}
