using System.Text.Json;

namespace SourceStripe.Stripe;

/// <summary>An object of a list page: where its raw JSON lies in the page, and the fields capture needs.</summary>
public readonly record struct PageItem(int Start, int Length, string Id, long Created, EmbeddedList? Embedded);

/// <summary>A parent's embedded first page of children (invoice <c>lines</c>, subscription <c>items</c>).</summary>
public sealed record EmbeddedList(IReadOnlyList<PageItem> Items, bool HasMore);

/// <summary>
/// One response of a Stripe list endpoint, held in a pooled buffer. Objects are located with
/// <see cref="Utf8JsonReader"/> and handed on as raw bytes: nothing is deserialized into a model.
/// </summary>
public sealed class ListPage : IDisposable
{
    private byte[] _buffer;
    private readonly int _length;

    private ListPage(byte[] buffer, int length, List<PageItem> items, bool hasMore)
    {
        _buffer = buffer;
        _length = length;
        Items = items;
        HasMore = hasMore;
    }

    public IReadOnlyList<PageItem> Items { get; }

    public bool HasMore { get; }

    public ReadOnlySpan<byte> Raw(PageItem item) => _buffer.AsSpan(item.Start, item.Length);

    public int ByteCount => _length;

    /// <summary>
    /// Parses a page whose body fills <paramref name="buffer"/>[..<paramref name="length"/>] (rented from
    /// the shared pool; the page returns it on dispose). <paramref name="cursorField"/> is read as unix
    /// seconds; <paramref name="embeddedField"/>, when given, is read as a nested list.
    /// </summary>
    public static ListPage Parse(byte[] buffer, int length, string? cursorField, string? embeddedField) =>
        PooledJson.ParseOrReturn(buffer, "the list response", () =>
        {
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), isFinalBlock: true, state: default);
            Expect(ref reader, JsonTokenType.StartObject);
            var (items, hasMore, sawData) = ReadList(ref reader, cursorField, embeddedField);
            if (!sawData)
            {
                throw new StripeResponseException("the list response has no data array");
            }
            return new ListPage(buffer, length, items, hasMore);
        });

    private static PageItem ReadItem(ref Utf8JsonReader reader, string? cursorField, string? embeddedField)
    {
        var start = (int)reader.TokenStartIndex;
        string? id = null;
        long created = 0;
        EmbeddedList? embedded = null;
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                Read(ref reader);
                id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (cursorField is not null && reader.ValueTextEquals(cursorField))
            {
                Read(ref reader);
                if (reader.TokenType == JsonTokenType.Number)
                {
                    created = reader.GetInt64();
                }
            }
            else if (embeddedField is not null && reader.ValueTextEquals(embeddedField))
            {
                Read(ref reader);
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var (children, more, _) = ReadList(ref reader, null, null);
                    embedded = new EmbeddedList(children, more);
                }
                else
                {
                    reader.Skip();
                }
            }
            else
            {
                Read(ref reader);
                reader.Skip();
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new StripeResponseException("a listed object is not a JSON object");
        }
        var length = (int)reader.BytesConsumed - start;
        return new PageItem(start, length, id ?? throw new StripeResponseException("a listed object has no string id"), created, embedded);
    }

    /// <summary>Reads the members of a list object (the reader is on its StartObject) up to its EndObject.</summary>
    private static (List<PageItem> Items, bool HasMore, bool SawData) ReadList(ref Utf8JsonReader reader, string? cursorField, string? embeddedField)
    {
        var items = new List<PageItem>();
        var hasMore = false;
        var sawData = false;
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("data"u8))
            {
                sawData = true;
                Expect(ref reader, JsonTokenType.StartArray);
                while (Read(ref reader) && reader.TokenType == JsonTokenType.StartObject)
                {
                    items.Add(ReadItem(ref reader, cursorField, embeddedField));
                }
            }
            else if (reader.ValueTextEquals("has_more"u8))
            {
                Read(ref reader);
                hasMore = reader.TokenType == JsonTokenType.True;
            }
            else
            {
                Read(ref reader);
                reader.Skip();
            }
        }
        return (items, hasMore, sawData);
    }

    private static bool Read(ref Utf8JsonReader reader) =>
        reader.Read() ? true : throw new StripeResponseException("the list response ended early");

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        Read(ref reader);
        if (reader.TokenType != type)
        {
            throw new StripeResponseException($"expected {type} in the list response, found {reader.TokenType}");
        }
    }

    public void Dispose() => PooledJson.Return(ref _buffer);
}

/// <summary>A response Stripe should never send: truncated, not JSON, or not a list.</summary>
public sealed class StripeResponseException(string message) : Exception(message);
