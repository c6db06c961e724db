using System.Buffers;
using System.Text.Json;

namespace SourceStripe.Simulator;

/// <summary>An error answer, thrown while handling a request and written as Stripe's error JSON.</summary>
internal sealed class StripeError(int status, string type, string message, string? code = null, string? param = null)
    : Exception(message)
{
    public int Status { get; } = status;
    public string Type { get; } = type;
    public string? Code { get; } = code;
    public string? Param { get; } = param;

    public byte[] ToJson(string requestId)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("error");
            if (Code is not null)
            {
                w.WriteString("code", Code);
                w.WriteString("doc_url", $"https://stripe.com/docs/error-codes/{Code.Replace('_', '-')}");
            }
            w.WriteString("message", Message);
            if (Param is not null)
            {
                w.WriteString("param", Param);
            }
            w.WriteString("request_log_url", $"https://dashboard.stripe.com/test/logs/{requestId}");
            w.WriteString("type", Type);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The errors Stripe answers list requests with, worded as Stripe words them.</summary>
internal static class StripeErrors
{
    private const string Invalid = "invalid_request_error";

    public static StripeError UnknownParameter(string name) =>
        new(400, Invalid, $"Received unknown parameter: {name}", "parameter_unknown", name);

    public static StripeError InvalidInteger(string param, string value) =>
        new(400, Invalid, $"Invalid integer: {value}", "parameter_invalid_integer", param);

    public static StripeError InvalidLimit() =>
        new(400, Invalid, "Invalid limit: must be between 1 and 100", "parameter_invalid_integer", "limit");

    public static StripeError OnlyOneOf(string a, string b) =>
        new(400, Invalid, $"You may only specify one of these parameters: {a}, {b}.");

    public static StripeError MissingParameter(string name) =>
        new(400, Invalid, $"Missing required param: {name}.", "parameter_missing", name);

    public static StripeError InvalidValue(string param, string message) => new(400, Invalid, message, "parameter_invalid_empty", param);

    /// <summary>A cursor naming no object of the list.</summary>
    public static StripeError NoSuchCursor(string objectName, string id, string param) =>
        new(400, Invalid, $"No such {objectName}: '{id}'", "resource_missing", param);

    /// <summary>A parent object (in the path or a required parameter) that does not exist.</summary>
    public static StripeError NoSuchObject(string objectName, string id, string? param = null) =>
        new(404, Invalid, $"No such {objectName}: '{id}'", "resource_missing", param);

    public static StripeError EventOutsideRetention(string id, string param) =>
        new(400, Invalid,
            $"The event '{id}' is older than 30 days and no longer available: events are kept for 30 days " +
            "under Stripe's event retention policy, so this cursor can no longer be used.",
            "resource_missing", param);

    public static StripeError TooManyTypes() =>
        new(400, Invalid, "You may pass at most 20 event types in `types`.", "parameter_invalid_empty", "types");

    public static StripeError UnrecognizedUrl(string method, string path) =>
        new(404, Invalid,
            $"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.");

    public static StripeError NoApiKey() =>
        new(401, Invalid,
            "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer " +
            "auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for " +
            "details, or we can help at https://support.stripe.com/.");

    public static StripeError InvalidApiKey(string key) => new(401, Invalid, $"Invalid API Key provided: {Mask(key)}");

    public static StripeError ExpiredApiKey(string key) =>
        new(401, Invalid, $"Expired API Key provided: {Mask(key)}. Please use a valid API key.", "api_key_expired");

    public static StripeError MissingPermission(string key, string account, string objectName) =>
        new(403, Invalid,
            $"The provided key '{Mask(key)}' does not have the required permissions for this endpoint on account " +
            $"'{account}'. Having the 'rak_{objectName.Replace('.', '_')}_read' permission would allow this request to continue.");

    /// <summary>
    /// How Stripe answers an account without the feature a resource needs: a platform-only endpoint's 403, Issuing's
    /// 400. Stripe documents no wording for Radar's value lists or billing meters; the simulator says it the same way.
    /// </summary>
    public static StripeError FeatureMissing(AccountFeature feature) => feature switch
    {
        AccountFeature.Connect => new(403, Invalid,
            "Only Stripe Connect platforms can work with other accounts. If you specified a client_id parameter, make sure it's correct. "
            + "If you need to setup a Stripe Connect platform, you can do so at https://dashboard.stripe.com/account/applications/settings."),
        AccountFeature.Issuing => new(400, Invalid,
            "Your account is not set up to use Issuing. Please visit https://dashboard.stripe.com/issuing/overview to get started."),
        AccountFeature.RadarLists => new(400, Invalid, "Your account is not set up to use Radar value lists."),
        _ => new(400, Invalid, "Your account is not set up to use billing meters."),
    };

    public static StripeError NoAccessToAccount(string key, string account) =>
        new(403, Invalid,
            $"The provided key '{Mask(key)}' does not have access to account '{account}' (or that account does not " +
            "exist). Application access may have been revoked.", "account_invalid");

    public static StripeError InvalidVersion(string version) =>
        new(400, Invalid, $"Invalid Stripe API version: {version}", "api_version_invalid");

    /// <summary>
    /// Masks a key as Stripe does: the <c>sk_test_</c>-style prefix, then stars, then the last four characters
    /// (none when the key is short). The whole key is never echoed.
    /// </summary>
    public static string Mask(string key)
    {
        var prefixLength = 0;
        var underscores = 0;
        for (var i = 0; i < key.Length && underscores < 2 && i < 8; i++)
        {
            if (key[i] == '_')
            {
                underscores++;
                prefixLength = i + 1;
            }
        }
        var rest = key.Length - prefixLength;
        var visible = rest > 8 ? 4 : 0;
        return string.Concat(key.AsSpan(0, prefixLength), new string('*', Math.Max(rest - visible, 1)), key.AsSpan(key.Length - visible));
    }
}
