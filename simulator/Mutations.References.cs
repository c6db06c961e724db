using System.Text.Json;
using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator;

/// <summary>A new object's references, found in the live account.</summary>
internal sealed partial class Mutations
{
    public string? Pick(string stream, long notAfter, ref Rng rng)
    {
        var items = account.Table(stream).Store().Items;
        if (items.Count == 0)
        {
            return null;
        }
        var first = account.Table(stream).Store().FirstAtOrBefore(notAfter);
        var eligible = items.Count - first;
        return eligible > 0 ? items[first + rng.Next(eligible)].Id : items[rng.Next(items.Count)].Id;
    }

    public Fixed Field(string stream, string id, string field)
    {
        if (account.Table(stream).Find(id) is not { } found)
        {
            return Fixed.Null;
        }
        if (field == "$json")
        {
            return Fixed.Json(found.Json);
        }
        using var document = JsonDocument.Parse(found.Utf8);
        var value = document.RootElement;
        foreach (var name in field.Split('.'))
        {
            if (value.ValueKind != JsonValueKind.Object || !value.TryGetProperty(name, out value))
            {
                return Fixed.Null;
            }
        }
        return value.ValueKind switch
        {
            JsonValueKind.String => Fixed.Of(value.GetString()),
            JsonValueKind.Number when value.TryGetInt64(out var n) => Fixed.Of(n),
            JsonValueKind.True or JsonValueKind.False => Fixed.Of(value.GetBoolean()),
            JsonValueKind.Object when value.TryGetProperty("id", out var inner) => Fixed.Of(inner.GetString()),
            _ => Fixed.Null,
        };
    }
}
