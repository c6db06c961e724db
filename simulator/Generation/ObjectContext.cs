namespace SourceStripe.Simulator.Generation;

internal enum FixedKind
{
    Null,
    String,
    Number,
    Boolean,
    Raw,
}

/// <summary>A value decided before writing (a reference, a status, an amount, an embedded list).</summary>
internal readonly record struct Fixed(FixedKind Kind, string? Text = null, long Number = 0, bool Flag = false, byte[]? Raw = null)
{
    public static Fixed Null { get; } = new(FixedKind.Null);

    public long? AsNumber => Kind == FixedKind.Number ? Number : null;

    public static Fixed Of(string? text) => text is null ? Null : new(FixedKind.String, Text: text);

    public static Fixed Of(long number) => new(FixedKind.Number, Number: number);

    public static Fixed Of(long? number) => number is { } n ? Of(n) : Null;

    public static Fixed Of(bool flag) => new(FixedKind.Boolean, Flag: flag);

    /// <summary>UTF-8 JSON written as is (an embedded object or list).</summary>
    public static Fixed Json(byte[] raw) => new(FixedKind.Raw, Raw: raw);
}

/// <summary>
/// Everything one object's values derive from: its random generator, id, creation time, currency, the person it
/// belongs to, and the fixed values (by dotted path from the root) that override its sample's values.
/// </summary>
internal sealed class ObjectContext
{
    private static readonly string[] Currencies = ["usd", "usd", "usd", "usd", "eur"];

    private readonly Dictionary<string, Fixed> _values = new(StringComparer.Ordinal);
    private readonly HashSet<string> _nestedPrefixes = new(StringComparer.Ordinal);

    public Rng Rng;

    public ObjectContext(string stream, string id, long created, Rng rng)
    {
        Stream = stream;
        Id = id;
        Created = created;
        Rng = rng;
        Currency = Currencies[Rng.Next(Currencies.Length)];
        Person = Rng.Next(1 << 20);
    }

    public string Stream { get; }
    public string Id { get; }
    public long Created { get; }

    /// <summary>The object's currency; fixed values of <c>currency</c> override it at the root.</summary>
    public string Currency { get; set; }

    /// <summary>Picks the name, email and address the object's person fields share.</summary>
    public int Person { get; set; }

    public IReadOnlyDictionary<string, Fixed> Values => _values;

    public void Set(string path, Fixed value)
    {
        _values[path] = value;
        for (var dot = path.IndexOf('.'); dot > 0; dot = path.IndexOf('.', dot + 1))
        {
            _nestedPrefixes.Add(path[..dot]);
        }
    }

    public void Set(string path, string? text) => Set(path, Fixed.Of(text));

    public void Set(string path, long number) => Set(path, Fixed.Of(number));

    public void Set(string path, bool flag) => Set(path, Fixed.Of(flag));

    public bool Has(string path) => _values.ContainsKey(path);

    public string? Text(string path) => _values.TryGetValue(path, out var v) ? v.Text : null;

    public long? Number(string path) => _values.TryGetValue(path, out var v) && v.Kind == FixedKind.Number ? v.Number : null;

    /// <summary>The distinct next path segments of the fixed values whose paths start with <paramref name="prefix"/>
    /// ("" for the root, else a path and a dot), in the order they were first fixed.</summary>
    public IEnumerable<string> ChildNames(string prefix)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in _values.Keys)
        {
            if (key.Length > prefix.Length && key.StartsWith(prefix, StringComparison.Ordinal))
            {
                var dot = key.IndexOf('.', prefix.Length);
                var name = dot < 0 ? key[prefix.Length..] : key[prefix.Length..dot];
                if (seen.Add(name))
                {
                    yield return name;
                }
            }
        }
    }

    /// <summary>Whether some fixed value lies below this object path.</summary>
    public bool HasBelow(string path) => _nestedPrefixes.Contains(path);
}
