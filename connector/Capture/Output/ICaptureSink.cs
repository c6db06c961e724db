namespace SourceStripe.Capture.Output;

/// <summary>
/// Where a capture's documents and checkpoints go: Flow's protocol on stdout, or the terminal command's
/// files. Only the <see cref="CaptureWriter"/> calls it, from one task, so a sink needs no locks; each
/// call carries documents together with the checkpoint that covers them, so a sink can never put a
/// checkpoint ahead of its documents.
/// </summary>
public interface ICaptureSink
{
    /// <summary>The capture is ready to emit documents.</summary>
    void Opened();

    /// <summary>
    /// Writes <paramref name="capturedLines"/> (whole <c>captured</c> protocol lines), then the checkpoint
    /// whose RFC 7396 merge patch of the whole state is <paramref name="statePatch"/> (a JSON object), made by
    /// the binding of <paramref name="stateKey"/> (null: by none, such as the rows' columns).
    /// </summary>
    void Commit(ReadOnlySpan<byte> capturedLines, int documents, string? stateKey, ReadOnlySpan<byte> statePatch);

    /// <summary>Pushes what was written to its reader: called whenever the writer has caught up.</summary>
    void Flush();
}
