using System.Globalization;

namespace SourceStripe.Simulator;

/// <summary>Which optional parameters an endpoint accepts besides limit, cursors and expand.</summary>
[Flags]
internal enum ListParams
{
    None = 0,
    Created = 1,
    EventTypes = 2,
    Status = 4,
    Object = 8,
    /// <summary>The parent's id, for a child listed by a query parameter (<see cref="Resource.ParentParam"/>).</summary>
    Parent = 16,
}

/// <summary>A list request's parameters, parsed and validated as Stripe does (unknown parameters are errors).</summary>
internal sealed class ListQuery
{
    public const int MaxTypes = 20;

    public int Limit { get; private set; } = 10;
    public string? StartingAfter { get; private set; }
    public string? EndingBefore { get; private set; }

    /// <summary>Inclusive bounds of the <c>created</c> filter.</summary>
    public long CreatedMin { get; private set; } = long.MinValue;
    public long CreatedMax { get; private set; } = long.MaxValue;

    public List<string> Expand { get; } = [];
    public string? Type { get; private set; }
    public List<string> Types { get; } = [];
    public string? Status { get; private set; }
    public string? Object { get; private set; }
    /// <summary>The value of the parent's query parameter (<c>subscription=sub_…</c>).</summary>
    public string? ParentId { get; private set; }

    public static ListQuery Parse(string rawQuery, ListParams allowed, string? parentParam = null)
    {
        var query = new ListQuery();
        foreach (var (key, value) in Pairs(rawQuery))
        {
            if (allowed.HasFlag(ListParams.Parent) && key == parentParam)
            {
                query.ParentId = value;
                continue;
            }
            query.Accept(key, value, allowed);
        }
        if (query.StartingAfter is not null && query.EndingBefore is not null)
        {
            throw StripeErrors.OnlyOneOf("ending_before", "starting_after");
        }
        if (query.Type is not null && query.Types.Count > 0)
        {
            throw StripeErrors.OnlyOneOf("type", "types");
        }
        if (query.Types.Count > MaxTypes)
        {
            throw StripeErrors.TooManyTypes();
        }
        return query;
    }

    /// <summary>A retrieve request's parameters: only <c>expand</c> (<c>expand[]</c>, <c>expand[0]</c>...).</summary>
    public static ListQuery ParseRetrieve(string rawQuery)
    {
        var query = new ListQuery();
        foreach (var (key, value) in Pairs(rawQuery))
        {
            query.Expand.Add(key is "expand" or "expand[]" || IsIndexed(key, "expand") ? value : throw StripeErrors.UnknownParameter(key));
        }
        return query;
    }

    /// <summary>Decoded key/value pairs of a raw query string, in order.</summary>
    public static IEnumerable<(string Key, string Value)> Pairs(string rawQuery)
    {
        foreach (var part in rawQuery.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = part.IndexOf('=');
            var key = eq < 0 ? part : part[..eq];
            var value = eq < 0 ? "" : part[(eq + 1)..];
            yield return (Decode(key), Decode(value));
        }
    }

    private static string Decode(string text) => Uri.UnescapeDataString(text.Replace('+', ' '));

    private void Accept(string key, string value, ListParams allowed)
    {
        switch (key)
        {
            case "limit":
                if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var limit))
                {
                    throw StripeErrors.InvalidInteger("limit", value);
                }
                if (limit is < 1 or > 100)
                {
                    throw StripeErrors.InvalidLimit();
                }
                Limit = limit;
                return;
            case "starting_after":
                StartingAfter = value.Length == 0 ? null : value;
                return;
            case "ending_before":
                EndingBefore = value.Length == 0 ? null : value;
                return;
            case "expand" or "expand[]":
                Expand.Add(value);
                return;
            case "type" when allowed.HasFlag(ListParams.EventTypes):
                Type = value;
                return;
            case "status" when allowed.HasFlag(ListParams.Status):
                Status = value;
                return;
            case "object" when allowed.HasFlag(ListParams.Object):
                Object = value;
                return;
        }
        if (IsIndexed(key, "expand"))
        {
            Expand.Add(value);
            return;
        }
        if (allowed.HasFlag(ListParams.EventTypes) && (key == "types[]" || IsIndexed(key, "types")))
        {
            Types.Add(value);
            return;
        }
        if (allowed.HasFlag(ListParams.Created) && (key == "created" || key.StartsWith("created[", StringComparison.Ordinal)))
        {
            AcceptCreated(key, value);
            return;
        }
        throw StripeErrors.UnknownParameter(key);
    }

    private void AcceptCreated(string key, string value)
    {
        if (!long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var time))
        {
            throw StripeErrors.InvalidInteger(key, value);
        }
        var (min, max) = key switch
        {
            "created" => (time, time),
            "created[gt]" => (time + 1, long.MaxValue),
            "created[gte]" => (time, long.MaxValue),
            "created[lt]" => (long.MinValue, time - 1),
            "created[lte]" => (long.MinValue, time),
            _ => throw StripeErrors.UnknownParameter(key),
        };
        CreatedMin = Math.Max(CreatedMin, min);
        CreatedMax = Math.Min(CreatedMax, max);
    }

    /// <summary><c>name[0]</c>, <c>name[1]</c>...: how form encoders write arrays.</summary>
    private static bool IsIndexed(string key, string name) =>
        key.Length > name.Length + 2 && key.StartsWith(name, StringComparison.Ordinal) && key[name.Length] == '['
        && key[^1] == ']' && key.AsSpan(name.Length + 1, key.Length - name.Length - 2).IndexOfAnyExceptInRange('0', '9') < 0;
}
