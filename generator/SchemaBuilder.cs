using Microsoft.CodeAnalysis;

namespace SourceStripe.Generator;

/// <summary>
/// Turns a Stripe.net model into the JSON Schema of the documents Stripe sends for it. The schema
/// promises only what the wire guarantees: `id` is a required string; every other property is optional
/// and nullable (Stripe omits and nulls fields across API versions); extra properties are allowed.
/// </summary>
internal sealed class SchemaBuilder
{
    private const string JsonPropertyName = "System.Text.Json.Serialization.JsonPropertyNameAttribute";
    private const string JsonIgnore = "System.Text.Json.Serialization.JsonIgnoreAttribute";

    /// <summary>What the connector says of a document taken from a Stripe event.</summary>
    private const string MetaSchema =
        """{"type":"object","description":"Added by the connector to documents taken from Stripe events.","properties":{"op":{"enum":["c","u","d"],"description":"The change the event describes: c create, u update, d delete."}}}""";

    private readonly StripeTypes _types;
    private readonly SortedDictionary<string, string> _defs = new(StringComparer.Ordinal);
    private readonly Dictionary<ITypeSymbol, string> _defNames = new(SymbolEqualityComparer.Default);

    public SchemaBuilder(StripeTypes types) => _types = types;

    public string BuildRoot(INamedTypeSymbol model, string streamName, string path, ParentSpec? parent)
    {
        var properties = new List<KeyValuePair<string, string>>();
        var required = new List<string> { JsonText.Quote("id") };
        foreach (var (name, type, decimalString) in SerializedProperties(model))
        {
            properties.Add(JsonText.Member(name, name == "id" ? """{"type":"string"}""" : PropertySchema(type, decimalString)));
        }
        if (parent is not null)
        {
            properties.Add(JsonText.Member(parent.IdField, JsonText.Object([
                JsonText.Member("type", JsonText.Quote("string")),
                JsonText.Member("description", JsonText.Quote($"Id of the {parent.Stream} object this document belongs to (added by the connector)")),
            ])));
            required.Add(JsonText.Quote(parent.IdField));
        }

        properties.Add(JsonText.Member("_meta", MetaSchema));

        var members = new List<KeyValuePair<string, string>>
        {
            JsonText.Member("$schema", JsonText.Quote("https://json-schema.org/draft/2020-12/schema")),
            JsonText.Member("title", JsonText.Quote(streamName)),
            JsonText.Member("description", JsonText.Quote($"Stripe {model.Name} objects listed from {path}")),
            JsonText.Member("type", JsonText.Quote("object")),
            JsonText.Member("x-infer-schema", "true"),
            JsonText.Member("required", JsonText.Array(required)),
            JsonText.Member("properties", JsonText.Object(properties)),
            // Documents merge by key; one whose _meta.op is "d" (a Stripe deletion) removes it.
            JsonText.Member("reduce", """{"strategy":"merge"}"""),
            JsonText.Member("if", """{"required":["_meta"],"properties":{"_meta":{"required":["op"],"properties":{"op":{"const":"d"}}}}}"""),
            JsonText.Member("then", """{"reduce":{"strategy":"merge","delete":true}}"""),
        };
        if (_defs.Count > 0)
        {
            members.Add(JsonText.Member("$defs", JsonText.Object(_defs)));
        }
        return JsonText.Object(members);
    }

    /// <summary>Properties Stripe.net (de)serializes, by JSON name, derived classes first.</summary>
    private static IEnumerable<(string Name, ITypeSymbol Type, bool DecimalString)> SerializedProperties(INamedTypeSymbol type)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var t = type; t is not null && t.SpecialType != SpecialType.System_Object; t = t.BaseType)
        {
            foreach (var property in t.GetMembers().OfType<IPropertySymbol>())
            {
                if (property.IsStatic || property.IsIndexer || JsonName(property) is not { } name || IsIgnoredAlways(property) || !seen.Add(name))
                {
                    continue;
                }
                yield return (name, property.Type, IsDecimalString(property, name));
            }
        }
    }

    public static string? JsonName(IPropertySymbol property) =>
        property.GetAttributes()
            .Where(a => a.AttributeClass?.ToDisplayString() == JsonPropertyName && a.ConstructorArguments.Length == 1)
            .Select(a => a.ConstructorArguments[0].Value as string)
            .FirstOrDefault();

    /// <summary>
    /// Whether Stripe sends this decimal as a JSON string (OpenAPI <c>format: decimal</c>): every <c>*_decimal</c> field,
    /// and the few others Stripe.net reads with its <c>DecimalStringConverter</c> (a checkout session's
    /// <c>currency_conversion.fx_rate</c>), which the name alone would miss.
    /// </summary>
    private static bool IsDecimalString(IPropertySymbol property, string jsonName) =>
        jsonName.EndsWith("_decimal", StringComparison.Ordinal)
        || property.GetAttributes().Any(a => a.AttributeClass?.Name == "JsonConverterAttribute"
            && a.ConstructorArguments.Length == 1 && a.ConstructorArguments[0].Value is INamedTypeSymbol { Name: "DecimalStringConverter" });

    private static bool IsIgnoredAlways(IPropertySymbol property) =>
        property.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == JsonIgnore
            && !a.NamedArguments.Any(n => n.Key == "Condition" && n.Value.Value is int condition && condition != 0));

    /// <summary>A property's schema: its wire type, nullable.</summary>
    private string PropertySchema(ITypeSymbol type, bool decimalString) => ValueSchema(type, decimalString, nullable: true);

    private string ValueSchema(ITypeSymbol type, bool decimalString, bool nullable)
    {
        type = Unwrap(type);
        switch (type.SpecialType)
        {
            case SpecialType.System_String:
                return Simple("string", nullable);
            case SpecialType.System_Boolean:
                return Simple("boolean", nullable);
            case SpecialType.System_Int16 or SpecialType.System_Int32 or SpecialType.System_Int64
                or SpecialType.System_UInt16 or SpecialType.System_UInt32 or SpecialType.System_UInt64 or SpecialType.System_Byte:
                return Simple("integer", nullable);
            case SpecialType.System_Single or SpecialType.System_Double:
                return Simple("number", nullable);
            case SpecialType.System_Decimal:
                return Simple(decimalString ? "string" : "number", nullable);
            case SpecialType.System_DateTime:
                // Stripe.net converts unix seconds to DateTime; the wire carries the integer.
                return Simple("integer", nullable);
            case SpecialType.System_Object:
                return "{}";
        }

        if (type is IArrayTypeSymbol array)
        {
            return ArraySchema(array.ElementType, decimalString, nullable);
        }
        if (type is not INamedTypeSymbol named)
        {
            return "{}";
        }
        var definition = named.OriginalDefinition;
        if (SymbolEqualityComparer.Default.Equals(definition, _types.ExpandableField))
        {
            // Not expanded by the connector, so an id string; an expanded object still carries its id.
            return JsonText.Object([
                JsonText.Member("type", nullable ? """["string","object","null"]""" : """["string","object"]"""),
                JsonText.Member("properties", """{"id":{"type":"string"}}"""),
            ]);
        }
        if (SymbolEqualityComparer.Default.Equals(definition, _types.StripeList))
        {
            return JsonText.Object([
                JsonText.Member("type", nullable ? """["object","null"]""" : JsonText.Quote("object")),
                JsonText.Member("properties", JsonText.Object([
                    JsonText.Member("object", Simple("string", nullable: true)),
                    JsonText.Member("data", ArraySchema(named.TypeArguments[0], decimalString, nullable: true)),
                    JsonText.Member("has_more", Simple("boolean", nullable: true)),
                    JsonText.Member("total_count", Simple("integer", nullable: true)),
                    JsonText.Member("url", Simple("string", nullable: true)),
                ])),
            ]);
        }
        if (SymbolEqualityComparer.Default.Equals(definition, _types.List) || SymbolEqualityComparer.Default.Equals(definition, _types.IList))
        {
            return ArraySchema(named.TypeArguments[0], decimalString, nullable);
        }
        if (SymbolEqualityComparer.Default.Equals(definition, _types.Dictionary) || SymbolEqualityComparer.Default.Equals(definition, _types.IDictionary))
        {
            return JsonText.Object([
                JsonText.Member("type", nullable ? """["object","null"]""" : JsonText.Quote("object")),
                JsonText.Member("additionalProperties", ValueSchema(named.TypeArguments[1], decimalString, nullable: true)),
            ]);
        }
        if (named.TypeKind is TypeKind.Class && !named.IsAbstract && !named.IsGenericType && IsStripeModel(named))
        {
            return JsonText.Object([JsonText.Member("$ref", JsonText.Quote("#/$defs/" + Define(named)))]);
        }
        if (named.TypeKind is TypeKind.Interface || named.IsAbstract)
        {
            // Polymorphic (a payment source, a balance transaction's source): any object.
            return Simple("object", nullable);
        }
        return "{}";
    }

    private string ArraySchema(ITypeSymbol element, bool decimalString, bool nullable) =>
        JsonText.Object([
            JsonText.Member("type", nullable ? """["array","null"]""" : JsonText.Quote("array")),
            JsonText.Member("items", ValueSchema(element, decimalString, nullable: true)),
        ]);

    private string Define(INamedTypeSymbol type)
    {
        if (_defNames.TryGetValue(type, out var existing))
        {
            return existing;
        }
        var name = DefName(type);
        _defNames.Add(type, name);
        _defs[name] = "{}";
        var properties = SerializedProperties(type).Select(p => JsonText.Member(p.Name, PropertySchema(p.Type, p.DecimalString))).ToList();
        // Nullable here rather than at every $ref: a nested object may always be null on the wire.
        _defs[name] = JsonText.Object([
            JsonText.Member("type", """["object","null"]"""),
            JsonText.Member("properties", JsonText.Object(properties)),
        ]);
        return name;
    }

    private string DefName(INamedTypeSymbol type)
    {
        var full = type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat).Replace("global::", "");
        var name = full.StartsWith("Stripe.", StringComparison.Ordinal) ? full.Substring("Stripe.".Length) : full;
        var candidate = name;
        for (var i = 2; _defs.ContainsKey(candidate); i++)
        {
            candidate = name + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return candidate;
    }

    private bool IsStripeModel(INamedTypeSymbol type)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(t.OriginalDefinition, _types.StripeEntity) || SymbolEqualityComparer.Default.Equals(t, _types.StripeEntityBase))
            {
                return true;
            }
        }
        return false;
    }

    private static ITypeSymbol Unwrap(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;

    private static string Simple(string type, bool nullable) =>
        nullable ? $$"""{"type":["{{type}}","null"]}""" : $$"""{"type":"{{type}}"}""";
}

/// <summary>The Stripe.net and BCL generic types the schema mapping recognises.</summary>
internal sealed class StripeTypes(Compilation compilation)
{
    public INamedTypeSymbol? ExpandableField { get; } = compilation.GetTypeByMetadataName("Stripe.ExpandableField`1");
    public INamedTypeSymbol? StripeList { get; } = compilation.GetTypeByMetadataName("Stripe.StripeList`1");
    public INamedTypeSymbol? StripeEntity { get; } = compilation.GetTypeByMetadataName("Stripe.StripeEntity`1");
    public INamedTypeSymbol? StripeEntityBase { get; } = compilation.GetTypeByMetadataName("Stripe.StripeEntity");
    public INamedTypeSymbol? List { get; } = compilation.GetTypeByMetadataName("System.Collections.Generic.List`1");
    public INamedTypeSymbol? IList { get; } = compilation.GetTypeByMetadataName("System.Collections.Generic.IList`1");
    public INamedTypeSymbol? Dictionary { get; } = compilation.GetTypeByMetadataName("System.Collections.Generic.Dictionary`2");
    public INamedTypeSymbol? IDictionary { get; } = compilation.GetTypeByMetadataName("System.Collections.Generic.IDictionary`2");
}
