using System.Buffers;

namespace SourceStripe.Capture;

/// <summary>Captured lines gathered by one unit of work until its next commit, in buffers of <paramref name="pool"/>.</summary>
public sealed class CommitBatch(ArrayPool<byte> pool)
{
    /// <summary>A line's bytes besides its document: <c>{"captured":{"binding":N,"doc":</c>, <c>}}</c> and the newline.</summary>
    private const int LineOverhead = 48;

    private PooledBufferWriter? _lines;

    public int Documents { get; private set; }

    /// <summary>Sizes the next buffer for <paramref name="documents"/> documents of <paramref name="bytes"/> in all, so it is filled without growing.</summary>
    public void Expect(int documents, int bytes) => _lines ??= new PooledBufferWriter(pool, bytes + (documents * LineOverhead));

    public void Add(int binding, ReadOnlySpan<byte> document, ReadOnlySpan<byte> added)
    {
        _lines ??= new PooledBufferWriter(pool, Math.Max(16 * 1024, document.Length * 2));
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
