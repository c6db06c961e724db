namespace SourceStripe.Capture;

/// <summary>Captured lines gathered by one unit of work until its next commit.</summary>
public sealed class CommitBatch
{
    private PooledBufferWriter? _lines;

    public int Documents { get; private set; }

    public void Add(int binding, ReadOnlySpan<byte> document, ReadOnlySpan<byte> added)
    {
        _lines ??= new PooledBufferWriter(Math.Max(16 * 1024, document.Length * 2));
        DocumentLines.WriteCaptured(_lines, binding, document, added);
        Documents++;
    }

    /// <summary>Hands the gathered lines over (the taker disposes them) and starts empty again.</summary>
    public (PooledBufferWriter? Lines, int Documents) Take()
    {
        var taken = (_lines, Documents);
        _lines = null;
        Documents = 0;
        return taken;
    }
}
