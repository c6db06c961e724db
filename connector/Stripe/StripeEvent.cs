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
    /// <summary>Reads an event; <paramref name="fields"/> names string fields of <c>data.object</c> to keep.</summary>
    public static StripeEvent Parse(ReadOnlySpan<byte> json, IReadOnlyCollection<string> fields)
    {
        var scanner = new JsonScanner(json, "an event");
        string? id = null, type = null, apiVersion = null;
        long created = 0;
        DataObject? data = null;
        scanner.Expect((byte)'{');
        var started = false;
        while (scanner.NextMember(ref started, out var name))
        {
            if (name.SequenceEqual("id"u8))
            {
                id = scanner.ReadString();
            }
            else if (name.SequenceEqual("type"u8))
            {
                type = scanner.ReadString();
            }
            else if (name.SequenceEqual("created"u8))
            {
                created = scanner.ReadInt64() ?? 0;
            }
            else if (name.SequenceEqual("api_version"u8))
            {
                apiVersion = scanner.ReadString();
            }
            else if (name.SequenceEqual("data"u8) && scanner.Peek() == (byte)'{')
            {
                scanner.Expect((byte)'{');
                var inData = false;
                while (scanner.NextMember(ref inData, out var member))
                {
                    if (member.SequenceEqual("object"u8))
                    {
                        data = ReadObject(ref scanner, fields);
                    }
                    else
                    {
                        scanner.SkipValue();
                    }
                }
            }
            else
            {
                scanner.SkipValue();
            }
        }
        if (id is null || type is null || data is not { Id: not null } d)
        {
            throw new StripeResponseException("an event lacks its id, type or data.object.id");
        }
        return new StripeEvent(id, type, created, apiVersion, d.Start, d.Length, d.Id, d.Kind, d.Fields);
    }

    private sealed record DataObject(int Start, int Length, string? Id, string? Kind, Dictionary<string, string> Fields);

    private static DataObject ReadObject(ref JsonScanner scanner, IReadOnlyCollection<string> fields)
    {
        if (scanner.Peek() != (byte)'{')
        {
            throw new StripeResponseException("an event's data.object is not an object");
        }
        var start = scanner.Position;
        scanner.Expect((byte)'{');
        string? id = null, kind = null;
        var kept = new Dictionary<string, string>();
        var started = false;
        while (scanner.NextMember(ref started, out var name))
        {
            var isId = name.SequenceEqual("id"u8);
            var isKind = !isId && name.SequenceEqual("object"u8);
            var field = Kept(name, fields);
            if (!isId && !isKind && field is null)
            {
                scanner.SkipValue();
                continue;
            }
            if (scanner.ReadString() is not { } value)
            {
                continue;
            }
            if (isId)
            {
                id = value;
            }
            else if (isKind)
            {
                kind = value;
            }
            if (field is not null)
            {
                kept[field] = value;
            }
        }
        return new DataObject(start, scanner.Position - start, id, kind, kept);
    }

    /// <summary>The kept field <paramref name="name"/> is, if any (field names are ASCII).</summary>
    private static string? Kept(ReadOnlySpan<byte> name, IReadOnlyCollection<string> fields)
    {
        foreach (var field in fields)
        {
            if (System.Text.Ascii.Equals(name, field))
            {
                return field;
            }
        }
        return null;
    }
}
