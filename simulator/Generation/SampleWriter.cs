using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>
/// Writes one object as its resource's sample with this object's values: first the values a profile fixed (by
/// dotted path; ones the sample lacks are added), then rules that keep every copy distinct and consistent: nested
/// ids, the object's currency, its person's name, email and address, fingerprints, metadata, and times shifted by
/// the object's age. Everything else is the sample's, so objects keep the shape and size Stripe documents.
/// </summary>
internal static class SampleWriter
{
    /// <summary>Unix times between these are timestamps (2001–2039); smaller integers are counts and amounts.</summary>
    private const long EarliestTime = 1_000_000_000, LatestTime = 2_200_000_000;

    private static readonly HashSet<string> PersonHolders = ["billing_details", "shipping", "customer_details", "owner", "individual"];

    public static void Write(JsonElement sample, ObjectContext ctx, Utf8JsonWriter w)
    {
        var state = new State(ctx, ctx.Created - Samples.TimeOf(sample), sample.GetProperty("id").GetString()!);
        WriteObject(sample, state, w, "", null);
    }

    private sealed class State(ObjectContext ctx, long shift, string sampleId)
    {
        public ObjectContext Ctx { get; } = ctx;
        public long Shift { get; } = shift;

        /// <summary>Where the sample names itself (a sub-list's <c>url</c>), the copy names itself.</summary>
        public string SampleId { get; } = sampleId;
    }

    /// <summary>An object of the sample at <c>path</c> (dotted from the root, "" for the root; null inside arrays and
    /// where no fixed value reaches), held by the property <c>holder</c>.</summary>
    private static void WriteObject(JsonElement sample, State s, Utf8JsonWriter w, string? path, string? holder)
    {
        w.WriteStartObject();
        List<string>? written = path is not null && s.Ctx.HasBelow(path) ? [] : null;
        foreach (var property in sample.EnumerateObject())
        {
            var name = property.Name;
            w.WritePropertyName(name);
            written?.Add(name);
            var key = path is null ? null : path.Length == 0 ? name : path + "." + name;
            if (key is not null && s.Ctx.Values.TryGetValue(key, out var fixedValue))
            {
                WriteFixed(fixedValue, w);
                continue;
            }
            var below = key is not null && s.Ctx.HasBelow(key) ? key : null;
            WriteValue(name, property.Value, s, w, below, holder);
        }
        if (path is not null && (written is not null || path.Length == 0))
        {
            WriteExtras(s.Ctx, w, path, written ?? [.. sample.EnumerateObject().Select(p => p.Name)]);
        }
        w.WriteEndObject();
    }

    private static void WriteValue(string name, JsonElement value, State s, Utf8JsonWriter w, string? below, string? holder)
    {
        var ctx = s.Ctx;
        switch (value.ValueKind)
        {
            case JsonValueKind.Object when name == "metadata":
                WriteMetadata(ctx, w);
                return;
            case JsonValueKind.Object when name == "address":
                WriteAddress(value, ctx, w);
                return;
            case JsonValueKind.Object:
                WriteObject(value, s, w, below, name);
                return;
            case JsonValueKind.Array:
                w.WriteStartArray();
                foreach (var item in value.EnumerateArray())
                {
                    WriteValue(name, item, s, w, null, holder);
                }
                w.WriteEndArray();
                return;
            case JsonValueKind.Null when below is not null:
                // The sample has none (an invoice without a parent) but a profile fixed values inside it.
                WriteObject(EmptyObject, s, w, below, name);
                return;
            case JsonValueKind.String:
                var text = Text(name, value.GetString()!, ctx, holder);
                w.WriteStringValue(text.Contains(s.SampleId, StringComparison.Ordinal) ? text.Replace(s.SampleId, ctx.Id, StringComparison.Ordinal) : text);
                return;
            case JsonValueKind.Number when value.TryGetInt64(out var n) && n is > EarliestTime and < LatestTime && !name.Contains("amount", StringComparison.Ordinal):
                w.WriteNumberValue(n + s.Shift);
                return;
            default:
                value.WriteTo(w);
                return;
        }
    }

    private static string Text(string name, string text, ObjectContext ctx, string? holder)
    {
        switch (name)
        {
            case "currency":
                return ctx.Currency;
            case "email":
                return SampleData.Email(ctx.Person);
            case "name" when holder is not null && PersonHolders.Contains(holder):
                return SampleData.FullName(ctx.Person);
            case "fingerprint":
                return StripeIds.Random(ref ctx.Rng, 16);
            case "last4":
                return StripeIds.Digits(ref ctx.Rng, 4);
            case "id" when text.IndexOf('_', StringComparison.Ordinal) is > 0 and var underscore:
                // A nested object's own id (a payment method, a tax rate...): same kind, another object.
                return StripeIds.New(text[..(underscore + 1)], ctx.Rng.Next(1 << 30), ref ctx.Rng);
            default:
                return text;
        }
    }

    private static void WriteAddress(JsonElement sample, ObjectContext ctx, Utf8JsonWriter w)
    {
        var place = SampleData.Place(ctx.Person);
        w.WriteStartObject();
        foreach (var property in sample.EnumerateObject())
        {
            w.WritePropertyName(property.Name);
            switch (property.Name)
            {
                case "city": w.WriteStringValue(place.City); break;
                case "country": w.WriteStringValue(place.Country); break;
                case "postal_code": w.WriteStringValue(place.Postal); break;
                case "state": w.WriteStringValue(place.State); break;
                case "line1": w.WriteStringValue($"{1 + (ctx.Person % 400)} {SampleData.Streets[ctx.Person % SampleData.Streets.Length]}"); break;
                default: property.Value.WriteTo(w); break;
            }
        }
        w.WriteEndObject();
    }

    /// <summary>Most objects carry none; some an order reference and a channel, as integrations set them.</summary>
    private static void WriteMetadata(ObjectContext ctx, Utf8JsonWriter w)
    {
        w.WriteStartObject();
        if (ctx.Rng.Chance(0.4))
        {
            w.WriteString("order_id", StripeIds.Digits(ref ctx.Rng, 6));
            if (ctx.Rng.Chance(0.5))
            {
                w.WriteString("channel", ctx.Rng.Pick(SampleData.Channels));
            }
        }
        w.WriteEndObject();
    }

    /// <summary>Fixed values under <paramref name="path"/> that the sample has no property for.</summary>
    private static void WriteExtras(ObjectContext ctx, Utf8JsonWriter w, string path, List<string> written)
    {
        var prefix = path.Length == 0 ? "" : path + ".";
        foreach (var name in ctx.ChildNames(prefix).Where(n => !written.Contains(n)).ToList())
        {
            w.WritePropertyName(name);
            if (ctx.Values.TryGetValue(prefix + name, out var value))
            {
                WriteFixed(value, w);
            }
            else
            {
                w.WriteStartObject();
                WriteExtras(ctx, w, prefix + name, []);
                w.WriteEndObject();
            }
        }
    }

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

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
