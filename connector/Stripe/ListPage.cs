using System.Buffers;
using SourceStripe.Buffers;

namespace SourceStripe.Stripe;

/// <summary>An object of a list page: where its raw JSON lies in the page, and the fields capture needs.</summary>
public readonly record struct PageItem(int Start, int Length, string Id, long Created, EmbeddedList? Embedded);

/// <summary>A parent's embedded first page of children (invoice <c>lines</c>, subscription <c>items</c>).</summary>
public sealed record EmbeddedList(IReadOnlyList<PageItem> Items, bool HasMore);

/// <summary>
/// One response of a Stripe list endpoint, held in a pooled buffer. Objects are located in one pass
/// (<see cref="JsonScanner"/>) and handed on as raw bytes: nothing is deserialized into a model.
/// </summary>
public sealed class ListPage : IDisposable
{
    private byte[] _buffer;
    private readonly int _length;
    private readonly ArrayPool<byte> _pool;

    private ListPage(byte[] buffer, int length, ArrayPool<byte> pool, List<PageItem> items, bool hasMore)
    {
        _buffer = buffer;
        _pool = pool;
        _length = length;
        Items = items;
        HasMore = hasMore;
    }

    public IReadOnlyList<PageItem> Items { get; }

    public bool HasMore { get; }

    public ReadOnlySpan<byte> Raw(PageItem item) => _buffer.AsSpan(item.Start, item.Length);

    public int ByteCount => _length;

    /// <summary>
    /// Room admitted for the lines this page becomes, when its read waited for room: rent the lines through
    /// it (<see cref="MemoryBudget.Admission.Rent"/>); what is left is given back when the page is disposed.
    /// </summary>
    public MemoryBudget.Admission? LinesRoom { get; private set; }

    /// <summary>Keeps <paramref name="linesRoom"/> until the page is disposed.</summary>
    internal ListPage Holding(MemoryBudget.Admission? linesRoom)
    {
        LinesRoom = linesRoom;
        return this;
    }

    /// <summary>
    /// Parses a page whose body fills <paramref name="buffer"/>[..<paramref name="length"/>] (rented from
    /// <paramref name="pool"/>; the page returns it on dispose), in one pass (<see cref="JsonScanner"/>).
    /// <paramref name="cursorField"/> is read as unix seconds; <paramref name="embeddedField"/>, when
    /// given, is read as a nested list.
    /// </summary>
    public static ListPage Parse(byte[] buffer, int length, string? cursorField, string? embeddedField, ArrayPool<byte> pool) =>
        PooledJson.ParseOrReturn(buffer, pool, () =>
        {
            var scanner = new JsonScanner(buffer.AsSpan(0, length), "the list response");
            var (items, hasMore, sawData) = ReadList(ref scanner, Encode(cursorField), Encode(embeddedField), PageCapacity);
            scanner.ExpectEnd();
            if (!sawData)
            {
                throw new StripeResponseException("the list response has no data array");
            }
            return new ListPage(buffer, length, pool, items, hasMore);
        });

    private static byte[]? Encode(string? name) => name is null ? null : System.Text.Encoding.UTF8.GetBytes(name);

    /// <summary>Reads a list object (the scanner is before its '{') up to and including its '}'.</summary>
    private static (List<PageItem> Items, bool HasMore, bool SawData) ReadList(ref JsonScanner scanner, byte[]? cursorField, byte[]? embeddedField, int capacity)
    {
        var items = new List<PageItem>(capacity);
        var hasMore = false;
        var sawData = false;
        scanner.Expect((byte)'{');
        var started = false;
        while (scanner.NextMember(ref started, out var name))
        {
            if (name.SequenceEqual("data"u8))
            {
                sawData = true;
                scanner.Expect((byte)'[');
                var more = false;
                while (scanner.NextElement(ref more))
                {
                    items.Add(ReadItem(ref scanner, cursorField, embeddedField));
                }
            }
            else if (name.SequenceEqual("has_more"u8))
            {
                hasMore = scanner.ReadBoolean() == true;
            }
            else
            {
                scanner.SkipValue();
            }
        }
        return (items, hasMore, sawData);
    }

    /// <summary>Stripe's largest page, and the first page of children a parent embeds.</summary>
    private const int PageCapacity = 100, EmbeddedCapacity = 10;

    private static PageItem ReadItem(ref JsonScanner scanner, byte[]? cursorField, byte[]? embeddedField)
    {
        if (scanner.Peek() != (byte)'{')
        {
            throw new StripeResponseException("a listed object is not a JSON object");
        }
        var start = scanner.Position;
        scanner.Expect((byte)'{');
        string? id = null;
        long created = 0;
        EmbeddedList? embedded = null;
        // Stripe writes id first and created soon after: once both are read, and no embedded list is looked
        // for, the rest of a 2–6 KB object is stepped over in blocks rather than member by member.
        var cursorRead = cursorField is null;
        var started = false;
        while (scanner.NextMember(ref started, out var name))
        {
            if (name.SequenceEqual("id"u8))
            {
                id = scanner.ReadString();
            }
            else if (cursorField is not null && name.SequenceEqual(cursorField))
            {
                created = scanner.ReadInt64() ?? 0;
                cursorRead = true;
            }
            else if (embeddedField is not null && name.SequenceEqual(embeddedField) && scanner.Peek() == (byte)'{')
            {
                var (children, more, _) = ReadList(ref scanner, null, null, EmbeddedCapacity);
                embedded = new EmbeddedList(children, more);
            }
            else
            {
                scanner.SkipValue();
            }
            if (id is not null && cursorRead && embeddedField is null)
            {
                scanner.SkipRestOfObject();
                break;
            }
        }
        return new PageItem(start, scanner.Position - start, id ?? throw new StripeResponseException("a listed object has no string id"), created, embedded);
    }

    public void Dispose()
    {
        PooledJson.Return(ref _buffer, _pool);
        LinesRoom?.Dispose();
    }
}

/// <summary>A response Stripe should never send: truncated, not JSON, or not a list.</summary>
public sealed class StripeResponseException(string message) : Exception(message);
