using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using Snapshooter;
using Snapshooter.Xunit;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Schemas;

/// <summary>The generated schemas are valid JSON Schema 2020-12, accept real Stripe objects and reject bad keys.</summary>
public sealed class DocumentSchemaTests
{
    public static TheoryData<string> StreamNames() => [.. StreamCatalog.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(StreamNames))]
    public void Schema_is_valid_json_schema_2020_12(string stream)
    {
        using var schema = JsonDocument.Parse(StreamCatalog.Find(stream)!.DocumentSchema.ToArray());
        var result = MetaSchemas.Draft202012.Evaluate(schema.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, Describe(result));
        Assert.True(schema.RootElement.GetProperty("x-infer-schema").GetBoolean());
        Assert.Equal("string", schema.RootElement.GetProperty("properties").GetProperty("id").GetProperty("type").GetString());
        Assert.Contains("id", schema.RootElement.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Theory]
    [MemberData(nameof(StreamNames))]
    public void A_realistic_stripe_object_validates(string stream)
    {
        var document = Fixture(stream);
        var result = Evaluate(stream, document);
        Assert.True(result.IsValid, Describe(result));
    }

    [Theory]
    [MemberData(nameof(StreamNames))]
    public void An_object_without_id_or_with_a_numeric_id_does_not_validate(string stream)
    {
        var withoutId = Fixture(stream);
        withoutId.Remove("id");
        Assert.False(Evaluate(stream, withoutId).IsValid);

        var numericId = Fixture(stream);
        numericId["id"] = 42;
        Assert.False(Evaluate(stream, numericId).IsValid);
    }

    [Fact]
    public void Wire_types_are_enforced_where_stripe_guarantees_them()
    {
        var charge = Fixture("charges");
        charge["created"] = "2024-01-01";
        Assert.False(Evaluate("charges", charge).IsValid);

        var invoice = Fixture("invoices");
        invoice["lines"]!["data"] = "not a list";
        Assert.False(Evaluate("invoices", invoice).IsValid);

        var charge2 = Fixture("charges");
        charge2["billing_details"]!["address"] = 5;
        Assert.False(Evaluate("charges", charge2).IsValid);

        var line = Fixture("invoice_line_items");
        line.Remove("invoice_id");
        Assert.False(Evaluate("invoice_line_items", line).IsValid);
    }

    [Fact]
    public void Nulls_and_unknown_properties_are_accepted()
    {
        var customer = Fixture("customers");
        foreach (var name in customer.Select(p => p.Key).Where(k => k != "id").ToList())
        {
            customer[name] = null;
        }
        customer["a_field_stripe_adds_next_year"] = new JsonObject { ["x"] = 1 };
        Assert.True(Evaluate("customers", customer).IsValid);
    }

    [Theory]
    [MemberData(nameof(StreamNames))]
    public void Schema_matches_its_snapshot(string stream)
    {
        var schema = Newtonsoft.Json.Linq.JToken.Parse(System.Text.Encoding.UTF8.GetString(StreamCatalog.Find(stream)!.DocumentSchema));
        Snapshot.Match(schema, SnapshotNameExtension.Create(stream));
    }

    /// <summary>The simulator's sample object of the stream (<c>simulator/Samples/</c>, written from Stripe's API
    /// reference) as the connector emits it: child documents carry their parent's id.</summary>
    private static JsonObject Fixture(string stream)
    {
        var document = JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Samples", stream + ".json")))!.AsObject();
        if (StreamCatalog.Find(stream)!.Parent is { } parent)
        {
            document[parent.IdField] = parent.Stream switch
            {
                "invoices" => "in_1QhfmNLkdIwHu7ixNdsbQ9GF",
                "subscriptions" => "sub_1QhfmNLkdIwHu7ixAbcd1234",
                "customers" => "cus_RaqBbLrZ1ZG7Zc",
                _ => "cs_test_a1b2c3",
            };
        }
        return document;
    }

    private static EvaluationResults Evaluate(string stream, JsonObject document)
    {
        var schema = JsonSchema.FromText(System.Text.Encoding.UTF8.GetString(StreamCatalog.Find(stream)!.DocumentSchema));
        using var instance = JsonDocument.Parse(document.ToJsonString());
        return schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
    }

    private static string Describe(EvaluationResults result) =>
        string.Join("\n", (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .Take(10)
            .Select(d => $"{d.InstanceLocation} ({d.EvaluationPath}): {string.Join("; ", d.Errors!.Select(e => e.Value))}"));
}
