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

    /// <summary>The connected account whose event it is (<c>account</c>); null for the account whose key reads it.</summary>
    public string? Account { get; init; }

    /// <summary>
    /// Reads an event in one pass; <paramref name="fields"/> names string fields of <c>data.object</c> to keep
    /// (taken from <c>data.previous_attributes</c> when the object no longer has them: a detached payment
    /// method's customer), <paramref name="embedded"/> its embedded lists whose ids to keep.
    /// </summary>
    public static StripeEvent Parse(ReadOnlySpan<byte> json, IReadOnlyCollection<string> fields, IReadOnlyCollection<string>? embedded = null)
    {
        embedded ??= [];
        var scanner = new JsonScanner(json, "an event");
        string? id = null, type = null, apiVersion = null, account = null;
        long created = 0;
        DataObject? data = null;
        Dictionary<string, string>? previous = null;
        Dictionary<string, List<string>> lists = [];
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
            else if (name.SequenceEqual("account"u8))
            {
                account = scanner.ReadString();
            }
            else if (name.SequenceEqual("data"u8) && scanner.Peek() == (byte)'{')
            {
                scanner.Expect((byte)'{');
                var inData = false;
                while (scanner.NextMember(ref inData, out var member))
                {
                    if (member.SequenceEqual("object"u8))
                    {
                        data = ReadObject(ref scanner, fields, embedded, lists);
                    }
                    else if (member.SequenceEqual("previous_attributes"u8) && scanner.Peek() == (byte)'{')
                    {
                        previous = ReadObject(ref scanner, fields, [], []).Fields;
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
        foreach (var (field, value) in previous ?? [])
        {
            d.Fields.TryAdd(field, value);
        }
        return new StripeEvent(id, type, created, apiVersion, d.Start, d.Length, d.Id, d.Kind, d.Fields) { EmbeddedIds = lists, Account = account };
    }

    private sealed record DataObject(int Start, int Length, string? Id, string? Kind, Dictionary<string, string> Fields);

    private static DataObject ReadObject(ref JsonScanner scanner, IReadOnlyCollection<string> fields, IReadOnlyCollection<string> embedded,
        Dictionary<string, List<string>> lists)
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
            var field = Named(name, fields);
            if (!isId && !isKind && field is null)
            {
                if (Named(name, embedded) is { } list && scanner.Peek() == (byte)'{')
                {
                    lists[list] = ReadListIds(ref scanner);
                }
                else
                {
                    scanner.SkipValue();
                }
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

    /// <summary>The ids in a Stripe list's <c>data</c> (the scanner is on the list's '{' and ends after its '}').</summary>
    private static List<string> ReadListIds(ref JsonScanner scanner)
    {
        var ids = new List<string>();
        scanner.Expect((byte)'{');
        var started = false;
        while (scanner.NextMember(ref started, out var name))
        {
            if (!name.SequenceEqual("data"u8) || scanner.Peek() != (byte)'[')
            {
                scanner.SkipValue();
                continue;
            }
            scanner.Expect((byte)'[');
            var more = false;
            while (scanner.NextElement(ref more))
            {
                if (scanner.Peek() != (byte)'{')
                {
                    scanner.SkipValue();
                    continue;
                }
                scanner.Expect((byte)'{');
                var inItem = false;
                while (scanner.NextMember(ref inItem, out var member))
                {
                    if (member.SequenceEqual("id"u8) && scanner.ReadString() is { } itemId)
                    {
                        ids.Add(itemId);
                    }
                    else if (!member.SequenceEqual("id"u8))
                    {
                        scanner.SkipValue();
                    }
                }
            }
        }
        return ids;
    }

    /// <summary>The name in <paramref name="names"/> that <paramref name="name"/> is, if any (Stripe's field names are ASCII).</summary>
    private static string? Named(ReadOnlySpan<byte> name, IReadOnlyCollection<string> names)
    {
        foreach (var candidate in names)
        {
            if (System.Text.Ascii.Equals(name, candidate))
            {
                return candidate;
            }
        }
        return null;
    }
}
