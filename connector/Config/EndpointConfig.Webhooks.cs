using System.Globalization;
using System.Net;
using System.Text.Json;

namespace SourceStripe.Config;

/// <summary>The webhook settings: the event destination's signing secrets and the address the listener binds.</summary>
public sealed partial record EndpointConfig
{
    public const string WebhookSecretPrefix = "whsec_";

    /// <summary>
    /// The event destination's signing secrets (<c>whsec_…</c>), several while one is rotated. Empty: no
    /// webhooks, and nothing listens. Never written anywhere: only the listener's HMAC reads them.
    /// </summary>
    public IReadOnlyList<string> WebhookSecrets { get; init; } = [];

    private static IReadOnlyList<string>? ParseWebhookSecrets(JsonElement root, ConfigProblems problems)
    {
        const string field = "config.webhook_signing_secret";
        const string expected = "expected the Stripe event destination's signing secret, starting with whsec_ (two separated by a comma while one is rotated)";
        if (!root.TryGetProperty("webhook_signing_secret", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return [];
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            problems.Add(field, $"{expected}, got {KindName(element.ValueKind)}");
            return null;
        }
        var text = element.GetString()!;
        if (text.Trim().Length == 0)
        {
            // An emptied optional field is how a user turns webhooks off.
            return [];
        }

        // Problems say which part is wrong by its position, never by its text: a part may be a real secret.
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var secrets = new List<string>(parts.Length);
        var valid = true;
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var which = parts.Length == 1 ? "" : $" (part {i + 1} of {parts.Length})";
            var problem = part.Length == 0 ? "an empty secret" + which
                : !part.StartsWith(WebhookSecretPrefix, StringComparison.Ordinal) || part.Length == WebhookSecretPrefix.Length
                    ? $"a value{which} that is not whsec_ followed by the secret (not shown)"
                : part.Any(char.IsWhiteSpace) ? $"a value{which} with a space inside (not shown)"
                : null;
            if (problem is not null)
            {
                problems.Add(field, $"{expected}, got {problem}");
                valid = false;
            }
            else if (!secrets.Contains(part))
            {
                secrets.Add(part);
            }
        }
        return valid ? secrets : null;
    }

    private static bool TryWebhookAddress(JsonElement advanced, ConfigProblems problems, out IPEndPoint address)
    {
        address = AdvancedConfig.DefaultWebhookAddress;
        if (!advanced.TryGetProperty("webhook_address", out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind == JsonValueKind.String && TryParseHostPort(element.GetString()!, out var parsed))
        {
            address = parsed;
            return true;
        }
        problems.Add("config.advanced.webhook_address",
            $"expected an IP address and port to listen on for Stripe's webhooks, such as 0.0.0.0:8080 (every IPv4 interface) or [::]:8080 (every interface), got {Describe(element)}");
        return false;
    }

    /// <summary>
    /// <c>a.b.c.d:port</c> or <c>[v6]:port</c>, port 1–65535. Stricter than <see cref="IPEndPoint.TryParse(string, out IPEndPoint?)"/>,
    /// which reads "8080" as the address 0.0.31.144 with port 0.
    /// </summary>
    public static bool TryParseHostPort(string text, out IPEndPoint address)
    {
        address = AdvancedConfig.DefaultWebhookAddress;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            return false;
        }
        var host = text[..colon];
        var bracketed = host.Length > 2 && host[0] == '[' && host[^1] == ']';
        var hostText = bracketed ? host[1..^1] : host;
        if (!IPAddress.TryParse(hostText, out var ip))
        {
            return false;
        }
        var isV6 = ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        // IPAddress.TryParse also reads "1" or "1.2" as IPv4 addresses: only the dotted quad is meant.
        if (isV6 != bracketed || (!isV6 && hostText.Count(c => c == '.') != 3))
        {
            return false;
        }
        address = new IPEndPoint(ip, port);
        return true;
    }
}
