using System.Text.Json;

namespace SourceStripe.Stripe;

/// <summary>The <c>error</c> object of a Stripe error response; absent fields are empty.</summary>
public sealed record StripeError(string Type, string Code, string Message, string Param)
{
    /// <summary>Parses Stripe's JSON error; a gateway's HTML body yields null.</summary>
    public static StripeError? Parse(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            if (!document.RootElement.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            return new StripeError(Text(error, "type"), Text(error, "code"), Text(error, "message"), Text(error, "param"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Text(JsonElement error, string name) =>
        error.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";
}
