using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>
/// Writes one object from its stream's <see cref="NodePlan"/>: every property of the schema, fixed values first,
/// then the name-based rules. Nested objects are filled down to <see cref="MaxDepth"/> and null beyond.
/// </summary>
internal static class ObjectWriter
{
    /// <summary>The root is depth 0; objects at this depth or deeper are written as null.</summary>
    public const int MaxDepth = 3;

    public static void Write(NodePlan root, ObjectContext ctx, Utf8JsonWriter w) => WriteObject(root, ctx, w, 0, "");

    private static void WriteObject(NodePlan plan, ObjectContext ctx, Utf8JsonWriter w, int depth, string? path)
    {
        w.WriteStartObject();
        foreach (var prop in plan.Properties)
        {
            w.WritePropertyName(prop.Encoded);
            string? key = null;
            if (path is not null)
            {
                key = path.Length == 0 ? prop.Name : path + "." + prop.Name;
                if (ctx.Values.TryGetValue(key, out var value))
                {
                    WriteFixed(value, w);
                    continue;
                }
            }
            if (plan.ChosenVariant is { } variant)
            {
                if (prop.Name == "type" && prop.Node.Kind == NodeKind.String)
                {
                    w.WriteStringValue(variant);
                    continue;
                }
                if (prop.Node.Kind == NodeKind.Object && prop.Name != variant)
                {
                    w.WriteNullValue();
                    continue;
                }
            }
            var below = key is not null && ctx.HasBelow(key) ? key : null;
            WriteValue(prop, prop.Node, plan.Def, ctx, w, depth + 1, below);
        }
        w.WriteEndObject();
    }

    private static void WriteValue(PropPlan prop, NodePlan node, string? def, ObjectContext ctx, Utf8JsonWriter w, int depth, string? path)
    {
        if (prop.Rule == ValueRule.Null)
        {
            w.WriteNullValue();
            return;
        }
        switch (node.Kind)
        {
            case NodeKind.String:
                ValueFactory.WriteString(prop, def, ctx, w);
                return;
            case NodeKind.Integer:
                ValueFactory.WriteInteger(prop.Rule, ctx, w);
                return;
            case NodeKind.Number:
                ValueFactory.WriteNumber(prop.Rule, ctx, w);
                return;
            case NodeKind.Boolean:
                ValueFactory.WriteBoolean(prop.Rule, ctx, w);
                return;
            case NodeKind.Expandable:
                if (prop.Rule == ValueRule.PaymentMethodId)
                {
                    ValueFactory.WriteString(prop, def, ctx, w);
                    return;
                }
                w.WriteNullValue();
                return;
            case NodeKind.Map:
                if (prop.Rule == ValueRule.Metadata)
                {
                    ValueFactory.WriteMetadata(ctx, w);
                    return;
                }
                w.WriteStartObject();
                w.WriteEndObject();
                return;
            case NodeKind.Object:
                if (depth >= MaxDepth)
                {
                    w.WriteNullValue();
                    return;
                }
                WriteObject(node, ctx, w, depth, path);
                return;
            case NodeKind.Array:
                WriteArray(prop, node.Item!, def, ctx, w, depth);
                return;
            case NodeKind.List when prop.Name == "reversals" && depth < MaxDepth:
                WriteEmptyList(w, $"/v1/{StripeObjects.DefObjectName(def)}s/{ctx.Id}/{prop.Name}");
                return;
            default:
                // Other sub-lists (a charge's refunds, a customer's sources) are only included on request
                // in current API versions; opaque values have no shape to fill.
                w.WriteNullValue();
                return;
        }
    }

    private static void WriteArray(PropPlan prop, NodePlan item, string? def, ObjectContext ctx, Utf8JsonWriter w, int depth)
    {
        w.WriteStartArray();
        var nested = item.Kind is NodeKind.Object or NodeKind.List or NodeKind.Array or NodeKind.Map;
        if (item.Kind is not (NodeKind.Expandable or NodeKind.Opaque or NodeKind.List) && !(nested && depth + 1 >= MaxDepth))
        {
            var count = ctx.Rng.Next(1, 2);
            for (var i = 0; i < count; i++)
            {
                switch (item.Kind)
                {
                    case NodeKind.Object:
                        WriteObject(item, ctx, w, depth + 1, null);
                        break;
                    case NodeKind.String:
                        ValueFactory.WriteString(prop, def, ctx, w);
                        break;
                    default:
                        WriteValue(prop, item, def, ctx, w, depth + 1, null);
                        break;
                }
            }
        }
        w.WriteEndArray();
    }

    public static void WriteEmptyList(Utf8JsonWriter w, string url)
    {
        w.WriteStartObject();
        w.WriteString("object", "list");
        w.WriteStartArray("data");
        w.WriteEndArray();
        w.WriteBoolean("has_more", false);
        w.WriteNumber("total_count", 0);
        w.WriteString("url", url);
        w.WriteEndObject();
    }

    public static void WriteFixed(Fixed value, Utf8JsonWriter w)
    {
        switch (value.Kind)
        {
            case FixedKind.String:
                w.WriteStringValue(value.Text);
                break;
            case FixedKind.Number:
                w.WriteNumberValue(value.Number);
                break;
            case FixedKind.Boolean:
                w.WriteBooleanValue(value.Flag);
                break;
            case FixedKind.Raw:
                w.WriteRawValue(value.Raw!, skipInputValidation: true);
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }
}
