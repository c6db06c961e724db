using System.Text.Json;

namespace SourceStripe.Stripe;

/// <summary>
/// The fields of a Stripe event that routing needs, read from its raw bytes. <see cref="ObjectStart"/>
/// and <see cref="ObjectLength"/> locate <c>data.object</c> inside those bytes, so the object can be
/// passed on without being decoded.
/// </summary>
public sealed record StripeEvent(
    string Id,
    string Type,
    long Created,
    string? ApiVersion,
    int ObjectStart,
    int ObjectLength,
    string ObjectId,
    string? ObjectKind,
    IReadOnlyDictionary<string, string> ObjectFields)
{
    /// <summary>The ids of the first page of each embedded list named at parse time (a deleted draft invoice's <c>lines</c>).</summary>
    public IReadOnlyDictionary<string, List<string>> EmbeddedIds { get; init; } = new Dictionary<string, List<string>>();

    /// <summary>
    /// Reads an event; <paramref name="fields"/> names string fields of <c>data.object</c> to keep (taken from
    /// <c>data.previous_attributes</c> when the object no longer has them: a detached payment method's
    /// customer), <paramref name="embedded"/> its embedded lists whose ids to keep.
    /// </summary>
    public static StripeEvent Parse(ReadOnlySpan<byte> json, IReadOnlyCollection<string> fields, IReadOnlyCollection<string>? embedded = null)
    {
        embedded ??= [];
        Dictionary<string, string>? previous = null;
        Dictionary<string, List<string>> lists = [];
        var reader = new Utf8JsonReader(json, isFinalBlock: true, state: default);
        string? id = null, type = null, apiVersion = null;
        long created = 0;
        (int Start, int Length, string? Id, string? Kind, Dictionary<string, string> Fields)? data = null;
        Read(ref reader);
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                Read(ref reader);
                id = reader.GetString();
            }
            else if (reader.ValueTextEquals("type"u8))
            {
                Read(ref reader);
                type = reader.GetString();
            }
            else if (reader.ValueTextEquals("created"u8))
            {
                Read(ref reader);
                created = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("api_version"u8))
            {
                Read(ref reader);
                apiVersion = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }
            else if (reader.ValueTextEquals("data"u8))
            {
                Read(ref reader);
                while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
                {
                    if (reader.ValueTextEquals("object"u8))
                    {
                        Read(ref reader);
                        data = ReadObject(ref reader, fields, embedded, lists);
                    }
                    else if (reader.ValueTextEquals("previous_attributes"u8) && Read(ref reader) && reader.TokenType == JsonTokenType.StartObject)
                    {
                        previous = ReadObject(ref reader, fields, [], []).Item5;
                    }
                    else
                    {
                        Read(ref reader);
                        reader.Skip();
                    }
                }
            }
            else
            {
                Read(ref reader);
                reader.Skip();
            }
        }
        if (id is null || type is null || data is not { Id: not null } d)
        {
            throw new StripeResponseException("an event lacks its id, type or data.object.id");
        }
        foreach (var (name, value) in previous ?? [])
        {
            d.Fields.TryAdd(name, value);
        }
        return new StripeEvent(id, type, created, apiVersion, d.Start, d.Length, d.Id, d.Kind, d.Fields) { EmbeddedIds = lists };
    }

    private static (int, int, string?, string?, Dictionary<string, string>) ReadObject(ref Utf8JsonReader reader, IReadOnlyCollection<string> fields,
        IReadOnlyCollection<string> embedded, Dictionary<string, List<string>> lists)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new StripeResponseException("an event's data.object is not an object");
        }
        var start = (int)reader.TokenStartIndex;
        string? id = null, kind = null;
        var kept = new Dictionary<string, string>();
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString()!;
            Read(ref reader);
            if (reader.TokenType == JsonTokenType.String && (name is "id" or "object" || fields.Contains(name)))
            {
                var value = reader.GetString()!;
                if (name == "id")
                {
                    id = value;
                }
                else if (name == "object")
                {
                    kind = value;
                }
                if (fields.Contains(name))
                {
                    kept[name] = value;
                }
            }
            else if (reader.TokenType == JsonTokenType.StartObject && embedded.Contains(name))
            {
                lists[name] = ReadListIds(ref reader);
            }
            else
            {
                reader.Skip();
            }
        }
        return (start, (int)reader.BytesConsumed - start, id, kind, kept);
    }

    /// <summary>The ids in a Stripe list's <c>data</c>; the reader ends on the list's closing brace.</summary>
    private static List<string> ReadListIds(ref Utf8JsonReader reader)
    {
        var ids = new List<string>();
        while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("data"u8) || !Read(ref reader) || reader.TokenType != JsonTokenType.StartArray)
            {
                Read(ref reader);
                reader.Skip();
                continue;
            }
            while (Read(ref reader) && reader.TokenType == JsonTokenType.StartObject)
            {
                while (Read(ref reader) && reader.TokenType == JsonTokenType.PropertyName)
                {
                    var isId = reader.ValueTextEquals("id"u8);
                    Read(ref reader);
                    if (isId && reader.TokenType == JsonTokenType.String)
                    {
                        ids.Add(reader.GetString()!);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
            }
        }
        return ids;
    }

    private static bool Read(ref Utf8JsonReader reader) =>
        reader.Read() ? true : throw new StripeResponseException("an event ended early");
}
