using System.Text.Json;

namespace SourceStripe.Config;

/// <summary>How values and unknown options are put into problems and warnings without ever echoing a key.</summary>
public sealed partial record EndpointConfig
{
    private static void WarnUnknown(JsonElement obj, string[] known, string path)
    {
        foreach (var property in obj.EnumerateObject())
        {
            if (Array.IndexOf(known, property.Name) < 0)
            {
                // A name is echoed like a value: cut, and never when it looks like a key.
                var name = LooksLikeKey(property.Name) ? "(a name that looks like a Stripe key, not shown)" : Cut(property.Name);
                Logging.Log.Warn($"Ignoring unknown option {path}.{name}", ("expected", string.Join(", ", known)));
            }
        }
    }

    /// <summary>A value for an error message; strings are quoted, long values cut.</summary>
    public static string Describe(JsonElement? element) => element switch
    {
        null => "nothing",
        { ValueKind: JsonValueKind.String } e => Describe(e.GetString()!),
        { ValueKind: JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False } e => Cut(e.GetRawText()),
        { } e => KindName(e.ValueKind),
    };

    /// <summary>
    /// A string for an error message: quoted and cut, and never shown when it looks like a Stripe key
    /// (a key pasted into the wrong field must not reach the logs).
    /// </summary>
    public static string Describe(string text) =>
        LooksLikeKey(text) ? "a value that looks like a Stripe key (not shown)" : "\"" + Cut(text) + "\"";

    private static bool LooksLikeKey(string text) =>
        text.Contains("sk_live_", StringComparison.Ordinal) || text.Contains("sk_test_", StringComparison.Ordinal)
        || text.Contains("rk_live_", StringComparison.Ordinal) || text.Contains("rk_test_", StringComparison.Ordinal)
        || text.Contains("pk_live_", StringComparison.Ordinal) || text.Contains("pk_test_", StringComparison.Ordinal)
        || text.Contains(WebhookSecretPrefix, StringComparison.Ordinal);

    public static string KindName(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    public static string Cut(string text) =>
        text.Length <= 60 ? text : text[..(char.IsHighSurrogate(text[59]) ? 59 : 60)] + "…";
}
