using System.Text.Json.Nodes;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Schemas;

/// <summary>
/// Every decimal Stripe sends as a string (OpenAPI <c>format: decimal</c>) is a string in all the schemas,
/// whatever type Stripe.net gives it: a number there would fail the capture on the first such document.
/// </summary>
public sealed class DecimalStringTests
{
    /// <summary>
    /// The only properties, in any stream's schema, that are JSON numbers: each is <c>type: number</c> in Stripe's
    /// OpenAPI (a percentage, an exchange rate, coordinates, package dimensions, an Issuing receipt's quantity),
    /// so Stripe sends it unquoted. A new number property must be checked against Stripe's reference and added here.
    /// </summary>
    private static readonly string[] Numbers =
    [
        "amount_percent", "application_fee_percent", "effective_percentage", "exchange_rate", "height", "latitude", "length",
        "longitude", "percent_off", "percent_ownership", "percentage", "quantity", "weight", "width",
    ];

    [Fact]
    public void Every_decimal_string_is_a_string_and_every_number_is_one_stripe_sends_as_a_number()
    {
        var numbers = new SortedSet<string>(StringComparer.Ordinal);
        var decimals = new List<(string Stream, string Name, string Type)>();
        foreach (var stream in StreamCatalog.All)
        {
            Walk(JsonNode.Parse(stream.DocumentSchema.ToArray())!, null, (name, type) =>
            {
                if (type.Contains("number", StringComparison.Ordinal))
                {
                    numbers.Add(name);
                }
                if (name.EndsWith("_decimal", StringComparison.Ordinal) || name == "fx_rate")
                {
                    decimals.Add((stream.Name, name, type));
                }
            });
        }
        Assert.Equal(Numbers, numbers);
        Assert.NotEmpty(decimals);
        Assert.All(decimals, d => Assert.True(d.Type == """["string","null"]""", $"{d.Stream}.{d.Name} is {d.Type}"));
        // The ones the issue names, in the streams that carry them.
        Assert.Contains(decimals, d => d is { Stream: "prices", Name: "unit_amount_decimal" });
        Assert.Contains(decimals, d => d is { Stream: "prices", Name: "flat_amount_decimal" });
        Assert.Contains(decimals, d => d is { Stream: "credit_notes", Name: "unit_amount_decimal" });
        Assert.Contains(decimals, d => d is { Stream: "issuing_transactions", Name: "quantity_decimal" });
    }

    /// <summary>Calls <paramref name="visit"/> with each named property's name and JSON type, through $defs and items.</summary>
    private static void Walk(JsonNode node, string? name, Action<string, string> visit)
    {
        if (node is JsonArray array)
        {
            foreach (var item in array)
            {
                Walk(item!, name, visit);
            }
            return;
        }
        if (node is not JsonObject obj)
        {
            return;
        }
        if (name is not null && obj["type"] is { } type)
        {
            visit(name, type.ToJsonString());
        }
        foreach (var (key, value) in obj)
        {
            if (key == "properties" && value is JsonObject properties)
            {
                foreach (var (property, schema) in properties)
                {
                    Walk(schema!, property, visit);
                }
            }
            else if (value is not null)
            {
                Walk(value, key == "items" ? name : null, visit);
            }
        }
    }
}
