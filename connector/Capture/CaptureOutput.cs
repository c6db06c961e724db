namespace SourceStripe.Capture;

/// <summary>
/// Where a capture's documents and checkpoints go: Flow's protocol on stdout, or the terminal command's
/// files. Each call carries a batch of documents together with the checkpoint that covers them, so a
/// sink can never put a checkpoint ahead of its documents.
/// </summary>
public interface ICaptureSink
{
    /// <summary>The capture is ready to emit documents.</summary>
    void Opened();

    /// <summary>
    /// Writes <paramref name="capturedLines"/> (whole <c>captured</c> protocol lines), then the checkpoint
    /// setting the binding's state to <paramref name="state"/>, or clearing it when null. The state is the
    /// binding's whole state as an RFC 7396 merge patch: finished ranges are null members.
    /// </summary>
    void Commit(ReadOnlySpan<byte> capturedLines, int documents, string stateKey, BindingState? state);
}

/// <summary>A capture's view of its sink, counting what went out for the closing log line.</summary>
public sealed class CaptureOutput(ICaptureSink sink)
{
    private long _documents;
    private long _checkpoints;

    public long Documents => Interlocked.Read(ref _documents);

    public long Checkpoints => Interlocked.Read(ref _checkpoints);

    public void Opened() => sink.Opened();

    /// <summary>Writes <paramref name="documents"/> (whole captured lines) then the binding's checkpoint.</summary>
    public void Commit(ReadOnlySpan<byte> documents, int documentCount, string stateKey, BindingState state) =>
        Write(documents, documentCount, stateKey, state);

    /// <summary>A checkpoint that clears a binding's state before it starts over.</summary>
    public void Reset(string stateKey) => Write([], 0, stateKey, null);

    private void Write(ReadOnlySpan<byte> documents, int documentCount, string stateKey, BindingState? state)
    {
        sink.Commit(documents, documentCount, stateKey, state);
        Interlocked.Add(ref _documents, documentCount);
        Interlocked.Increment(ref _checkpoints);
    }
}
