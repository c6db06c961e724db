using SourceStripe.Buffers;

namespace SourceStripe.Capture.Output;

/// <summary>
/// Captured lines gathered by one unit of work until its next commit, in buffers of the capture's memory
/// budget: counted there from the moment they are made until the writer has written them.
/// </summary>
public sealed class CommitBatch(MemoryBudget memory)
{
    /// <summary>A line's bytes besides its document: <c>{"captured":{"binding":N,"doc":</c>, <c>}}</c> and the newline.</summary>
    private const int LineOverhead = 48;

    private PooledBufferWriter? _lines;

    public int Documents { get; private set; }

    /// <summary>
    /// Sizes the next buffer for <paramref name="documents"/> documents of <paramref name="bytes"/> in all, so it
    /// is filled without growing; rented out of <paramref name="room"/> (a page's <see cref="Stripe.ListPage.LinesRoom"/>)
    /// when there is one, so that the room admitted for the lines becomes their buffer.
    /// </summary>
    public void Expect(int documents, int bytes, MemoryBudget.Admission? room = null)
    {
        var size = bytes + (documents * LineOverhead);
        _lines ??= new PooledBufferWriter(memory, room is null ? memory.Rent(size) : room.Rent(size));
    }

    public void Add(int binding, ReadOnlySpan<byte> document, ReadOnlySpan<byte> added)
    {
        _lines ??= new PooledBufferWriter(memory, Math.Max(16 * 1024, document.Length * 2));
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
