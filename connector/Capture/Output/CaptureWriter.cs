using System.Threading.Channels;
using SourceStripe.Buffers;

namespace SourceStripe.Capture;

/// <summary>
/// The capture's one writer: capture code hands it documents with the checkpoint that covers them, and
/// one task writes them to the sink in the order they were handed over. Producers wait for room (bounded
/// in bytes by <see cref="ByteBudget"/>) before they take a lock, and hand over without blocking while
/// they hold one, so no lock is ever held while stdout blocks.
/// </summary>
public sealed class CaptureWriter
{
    /// <summary>Enough for several pages of large objects in flight; small enough to keep memory flat.</summary>
    public const long DefaultBudgetBytes = 16 * 1024 * 1024;

    private readonly ICaptureSink _sink;
    private readonly ByteBudget _budget;
    private readonly Channel<Commit> _commits = Channel.CreateUnbounded<Commit>(new UnboundedChannelOptions { SingleReader = true });
    private long _documents;
    private long _checkpoints;

    public CaptureWriter(ICaptureSink sink, long budgetBytes = DefaultBudgetBytes)
    {
        _sink = sink;
        _budget = new ByteBudget(budgetBytes);
    }

    public long Documents => Interlocked.Read(ref _documents);

    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    public void Opened() => _sink.Opened();

    /// <summary>Waits until <paramref name="bytes"/> more may be in flight; call before taking the lock that <see cref="Add"/> is called under.</summary>
    public Task ReserveAsync(long bytes, CancellationToken cancellation) => _budget.WaitAsync(bytes, cancellation);

    /// <summary>
    /// Queues <paramref name="documents"/> (captured lines; the writer disposes them) and then the checkpoint
    /// <paramref name="statePatch"/> (a merge patch of the whole state) made by the binding of <paramref name="stateKey"/>.
    /// Never blocks: <paramref name="reserved"/> bytes were reserved with <see cref="ReserveAsync"/>. Callers add
    /// under the lock that orders their state.
    /// </summary>
    public void Add(PooledBufferWriter? documents, int count, string? stateKey, byte[] statePatch, long reserved)
    {
        if (!_commits.Writer.TryWrite(new Commit(documents, count, stateKey, statePatch, reserved)))
        {
            documents?.Dispose();
            _budget.Release(reserved);
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
                        _budget.Release(commit.Reserved);
                    }
                    Interlocked.Add(ref _documents, commit.Count);
                    Interlocked.Increment(ref _checkpoints);
                }
                _sink.Flush();
            }
        }
        catch
        {
            // Producers must not wait for room that will never come.
            _commits.Writer.TryComplete();
            while (reader.TryRead(out var dropped))
            {
                dropped.Documents?.Dispose();
                _budget.Release(dropped.Reserved);
            }
            throw;
        }
    }

    private sealed record Commit(PooledBufferWriter? Documents, int Count, string? StateKey, byte[] Patch, long Reserved);
}
