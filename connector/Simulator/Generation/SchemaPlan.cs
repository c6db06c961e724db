using System.Collections.Concurrent;
using System.Text.Json;
using SourceStripe.Streams;

namespace SourceStripe.Simulator.Generation;

internal enum NodeKind
{
    String,
    Integer,
    Number,
    Boolean,
    /// <summary>An expandable field: an id string, or the object when expanded.</summary>
    Expandable,
    /// <summary>An object with free keys (<c>additionalProperties</c>), e.g. <c>metadata</c>.</summary>
    Map,
    Array,
    Object,
    /// <summary>A Stripe list object: <c>{object, data, has_more, total_count, url}</c>.</summary>
    List,
    /// <summary>Anything the schema leaves open; always written as null.</summary>
    Opaque,
}

/// <summary>One node of a stream's document schema, compiled once into what the writer needs.</summary>
internal sealed class NodePlan(NodeKind kind, string? def = null)
{
    public NodeKind Kind { get; } = kind;

    /// <summary>The <c>$defs</c> name (Stripe.net type) of an object node, if it came from one.</summary>
    public string? Def { get; } = def;

    public PropPlan[] Properties { get; set; } = [];

    /// <summary>Array, list and map items.</summary>
    public NodePlan? Item { get; set; }

    /// <summary>
    /// A polymorphic hash (a <c>type</c> naming one of its object properties, as in
    /// <c>payment_method_details</c>): the one property that is filled; the other object properties are null.
    /// </summary>
    public string? ChosenVariant { get; set; }
}

/// <summary>A property: its name, its node, and the value rule its name and type select.</summary>
internal sealed class PropPlan(string name, NodePlan node, ValueRule rule)
{
    public string Name { get; } = name;
    public JsonEncodedText Encoded { get; } = JsonEncodedText.Encode(name);
    public NodePlan Node { get; } = node;
    public ValueRule Rule { get; } = rule;
}

/// <summary>Compiles a stream's <see cref="StreamDescriptor.DocumentSchema"/> (with its <c>$defs</c>) into a <see cref="NodePlan"/>.</summary>
internal sealed class SchemaPlan
{
    private static readonly ConcurrentDictionary<string, NodePlan> Cache = new();
    private static readonly string[] PreferredVariants = ["card", "subscription_details", "us_bank_account", "price_details"];

    private readonly JsonElement _defs;
    private readonly Dictionary<string, NodePlan> _compiledDefs = [];

    private SchemaPlan(JsonElement defs) => _defs = defs;

    /// <summary>The root object plan of a stream, without the fields the connector adds (parent id, <c>_meta</c>).</summary>
    public static NodePlan For(StreamDescriptor stream) => Cache.GetOrAdd(stream.Name, _ => Compile(stream));

    private static NodePlan Compile(StreamDescriptor stream)
    {
        using var document = JsonDocument.Parse(stream.DocumentSchema.ToArray());
        var root = document.RootElement;
        var defs = root.TryGetProperty("$defs", out var d) ? d.Clone() : default;
        var plan = new SchemaPlan(defs).CompileNode(root.Clone(), def: stream.Model.Replace("Stripe.", "", StringComparison.Ordinal));
        var skip = stream.Parent?.IdField;
        plan.Properties = [.. plan.Properties.Where(p => p.Name != skip && p.Name != "_meta")];
        return plan;
    }

    private NodePlan CompileNode(JsonElement schema, string? def = null)
    {
        if (schema.TryGetProperty("$ref", out var reference))
        {
            return CompileDef(reference.GetString()!.Split('/')[^1]);
        }
        var types = Types(schema);
        if (types.Contains("string") && types.Contains("object"))
        {
            return new NodePlan(NodeKind.Expandable);
        }
        if (types.Contains("object"))
        {
            if (schema.TryGetProperty("properties", out var properties))
            {
                return properties.TryGetProperty("has_more", out _) && properties.TryGetProperty("data", out var data)
                    ? new NodePlan(NodeKind.List) { Item = CompileNode(data.GetProperty("items")) }
                    : CompileObject(properties, def);
            }
            if (schema.TryGetProperty("additionalProperties", out var values))
            {
                return new NodePlan(NodeKind.Map) { Item = CompileNode(values) };
            }
            return new NodePlan(NodeKind.Opaque);
        }
        if (types.Contains("array"))
        {
            return new NodePlan(NodeKind.Array) { Item = CompileNode(schema.GetProperty("items")) };
        }
        if (types.Contains("string"))
        {
            return new NodePlan(NodeKind.String);
        }
        if (types.Contains("integer"))
        {
            return new NodePlan(NodeKind.Integer);
        }
        if (types.Contains("number"))
        {
            return new NodePlan(NodeKind.Number);
        }
        return types.Contains("boolean") ? new NodePlan(NodeKind.Boolean) : new NodePlan(NodeKind.Opaque);
    }

    private NodePlan CompileDef(string name)
    {
        if (_compiledDefs.TryGetValue(name, out var done))
        {
            return done;
        }
        var schema = _defs.GetProperty(name);
        if (!schema.TryGetProperty("properties", out var properties) || Types(schema).Contains("string"))
        {
            var other = CompileNode(schema, name);
            _compiledDefs[name] = other;
            return other;
        }
        // Register before compiling the properties: Stripe's types are recursive (an error names a payment intent
        // whose last error names a payment intent...). The writer's depth limit ends the recursion.
        var plan = new NodePlan(NodeKind.Object, name);
        _compiledDefs[name] = plan;
        FillObject(plan, properties);
        return plan;
    }

    private NodePlan CompileObject(JsonElement properties, string? def)
    {
        var plan = new NodePlan(NodeKind.Object, def);
        FillObject(plan, properties);
        return plan;
    }

    private void FillObject(NodePlan plan, JsonElement properties)
    {
        var list = new List<PropPlan>();
        foreach (var property in properties.EnumerateObject())
        {
            var node = CompileNode(property.Value);
            list.Add(new PropPlan(property.Name, node, ValueRules.Select(property.Name, node.Kind, plan.Def)));
        }
        plan.Properties = [.. list];
        var typeProperty = list.Find(p => p.Name == "type" && p.Node.Kind == NodeKind.String);
        var variants = list.Where(p => p.Node.Kind == NodeKind.Object).Select(p => p.Name).ToList();
        if (typeProperty is not null && variants.Count >= 2)
        {
            plan.ChosenVariant = PreferredVariants.FirstOrDefault(variants.Contains) ?? variants[0];
        }
    }

    private static HashSet<string> Types(JsonElement schema)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        if (!schema.TryGetProperty("type", out var type))
        {
            return set;
        }
        if (type.ValueKind == JsonValueKind.String)
        {
            set.Add(type.GetString()!);
        }
        else if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var t in type.EnumerateArray())
            {
                set.Add(t.GetString()!);
            }
        }
        return set;
    }
}
