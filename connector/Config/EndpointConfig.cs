using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace SourceStripe.Config;

/// <summary>The capture's endpoint configuration, validated.</summary>
public sealed partial record EndpointConfig(
    string AccountId,
    SecretKey ClientSecret,
    DateTimeOffset StartDate,
    int LookbackWindowDays,
    AdvancedConfig Advanced)
{
    private static readonly string[] KnownFields = ["account_id", "client_secret", "start_date", "lookback_window_days", "capture_connected_accounts", "webhook_signing_secret", "advanced"];

    /// <summary>
    /// Whether every connected account of the platform <see cref="AccountId"/> is captured too, each document
    /// then naming its account in <c>account_id</c>.
    /// </summary>
    public bool CaptureConnectedAccounts { get; init; }
    private static readonly string[] KnownAdvancedFields = ["base_url", "event_lag_seconds", "list_lag_seconds", "event_payloads", "request_timeout_seconds", "max_retry_seconds", "max_requests_per_second",
        "max_requests_per_second_per_endpoint", "webhook_address", "events_interval_with_webhooks"];

    public const string RfcExample = "2017-01-25T00:00:00Z";

    /// <summary>Ten years: a window a poll re-reads; more is a mistake, and would reach before Stripe's timestamps.</summary>
    public const int MaxLookbackWindowDays = 3650;

    /// <summary>Reads <paramref name="config"/>, adding every problem to <paramref name="problems"/>; null when any.</summary>
    public static EndpointConfig? Parse(JsonElement? config, ConfigProblems problems, DateTimeOffset now)
    {
        if (config is not { ValueKind: JsonValueKind.Object } root)
        {
            problems.Add("config", $"expected an object with account_id, client_secret and start_date, got {Describe(config)}");
            return null;
        }

        var accountId = RequiredString(root, "account_id", problems, "expected your Stripe account id, such as acct_1032D82eZvKYlo2C");
        if (accountId is not null && (accountId.Trim() != accountId || accountId.Contains(' ')))
        {
            problems.Add("config.account_id", "expected an account id without spaces, such as acct_1032D82eZvKYlo2C");
        }

        SecretKey? secret = null;
        var secretText = RequiredString(root, "client_secret", problems, "expected a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_live_…, rk_test_…)");
        if (secretText is not null)
        {
            if (!(secretText.StartsWith("sk_", StringComparison.Ordinal) || secretText.StartsWith("rk_", StringComparison.Ordinal)) || secretText.Length < 8)
            {
                // Never echo the value: it may be a real key pasted into the wrong field.
                problems.Add("config.client_secret", "expected a Stripe secret key starting with sk_live_, sk_test_, rk_live_ or rk_test_ (publishable pk_ keys cannot read data)");
            }
            else
            {
                secret = new SecretKey(secretText);
            }
        }

        DateTimeOffset? startDate = null;
        var startText = RequiredString(root, "start_date", problems, $"expected the UTC date-time to capture from, in RFC 3339 such as {RfcExample}");
        if (startText is not null)
        {
            if (!TryParseRfc3339(startText, out var parsed))
            {
                problems.Add("config.start_date", $"expected an RFC 3339 date-time such as {RfcExample}, got {Describe(startText)}");
            }
            else if (parsed < DateTimeOffset.UnixEpoch)
            {
                // Stripe's timestamps are unix seconds: nothing was created earlier, and the capture's ranges start there.
                problems.Add("config.start_date", $"expected a date-time from 1970-01-01T00:00:00Z on (Stripe timestamps start there), got {startText}");
            }
            else if (parsed > now)
            {
                problems.Add("config.start_date", $"expected a date-time in the past, got {startText} (now is {now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)})");
            }
            else
            {
                startDate = parsed;
            }
        }

        var lookback = 0;
        if (root.TryGetProperty("lookback_window_days", out var lookbackElement) && lookbackElement.ValueKind != JsonValueKind.Null)
        {
            if (lookbackElement.ValueKind != JsonValueKind.Number || !lookbackElement.TryGetInt32(out lookback))
            {
                var tooLarge = lookbackElement.ValueKind == JsonValueKind.Number && lookbackElement.TryGetDouble(out var days) && days == Math.Floor(days) && days > MaxLookbackWindowDays;
                problems.Add("config.lookback_window_days", tooLarge
                    ? $"expected at most {MaxLookbackWindowDays} days (ten years), got {Describe(lookbackElement)}"
                    : $"expected a whole number of days, 0 or more, got {Describe(lookbackElement)}");
            }
            else if (lookback < 0)
            {
                problems.Add("config.lookback_window_days", $"expected 0 or more days, got {lookback}");
            }
            else if (lookback > MaxLookbackWindowDays)
            {
                problems.Add("config.lookback_window_days", $"expected at most {MaxLookbackWindowDays} days (ten years), got {lookback}");
            }
        }

        var connected = false;
        if (root.TryGetProperty("capture_connected_accounts", out var connectedElement) && connectedElement.ValueKind != JsonValueKind.Null)
        {
            if (connectedElement.ValueKind is JsonValueKind.True or JsonValueKind.False)
            {
                connected = connectedElement.GetBoolean();
            }
            else
            {
                problems.Add("config.capture_connected_accounts", $"expected true or false, got {Describe(connectedElement)}");
            }
        }

        var webhookSecrets = ParseWebhookSecrets(root, problems);
        var advanced = ParseAdvanced(root, problems);
        WarnUnknown(root, KnownFields, "config");

        return problems.Any || accountId is null || secret is null || startDate is null || advanced is null || webhookSecrets is null
            ? null
            : new EndpointConfig(accountId, secret, startDate.Value, lookback, advanced) { CaptureConnectedAccounts = connected, WebhookSecrets = webhookSecrets };
    }

    private static AdvancedConfig? ParseAdvanced(JsonElement root, ConfigProblems problems)
    {
        if (!root.TryGetProperty("advanced", out var advanced) || advanced.ValueKind == JsonValueKind.Null)
        {
            return AdvancedConfig.Default;
        }
        if (advanced.ValueKind != JsonValueKind.Object)
        {
            problems.Add("config.advanced", $"expected an object of advanced options, got {Describe(advanced)}");
            return null;
        }
        WarnUnknown(advanced, KnownAdvancedFields, "config.advanced");

        // Every option is checked, so that the user sees all of their mistakes at once.
        var valid = true;
        var baseUrl = AdvancedConfig.DefaultBaseUrl;
        if (advanced.TryGetProperty("base_url", out var urlElement) && urlElement.ValueKind != JsonValueKind.Null)
        {
            if (urlElement.ValueKind != JsonValueKind.String)
            {
                problems.Add("config.advanced.base_url", $"expected a URL string such as {AdvancedConfig.DefaultBaseUrl}, got {Describe(urlElement)}");
                valid = false;
            }
            else if (!TryParseBaseUrl(urlElement.GetString()!, out var parsed, out var why))
            {
                problems.Add("config.advanced.base_url", why);
                valid = false;
            }
            else
            {
                baseUrl = parsed;
            }
        }

        valid &= TryWholeNumber(advanced, "event_lag_seconds", AdvancedConfig.DefaultEventLagSeconds, 0, 3600, problems, out var lag);
        valid &= TryWholeNumber(advanced, "list_lag_seconds", AdvancedConfig.DefaultListLagSeconds, 0, 3600, problems, out var listLag);
        valid &= TryWholeNumber(advanced, "request_timeout_seconds", AdvancedConfig.DefaultRequestTimeoutSeconds, 1, 600, problems, out var attempt);
        valid &= TryWholeNumber(advanced, "max_retry_seconds", AdvancedConfig.DefaultMaxRetrySeconds, 1, 86400, problems, out var total);
        valid &= TryWholeNumber(advanced, "max_requests_per_second", 0, 1, 10_000, problems, out var rate, "requests per second");
        valid &= TryWholeNumber(advanced, "max_requests_per_second_per_endpoint", AdvancedConfig.DefaultRequestsPerSecondPerEndpoint, 1, 10_000, problems, out var endpointRate, "requests per second");

        var payloads = EventPayloads.Auto;
        if (advanced.TryGetProperty("event_payloads", out var payloadsElement) && payloadsElement.ValueKind != JsonValueKind.Null)
        {
            switch (payloadsElement.ValueKind == JsonValueKind.String ? payloadsElement.GetString() : null)
            {
                case "auto": payloads = EventPayloads.Auto; break;
                case "refetch": payloads = EventPayloads.Refetch; break;
                default:
                    problems.Add("config.advanced.event_payloads", $"expected auto or refetch, got {Describe(payloadsElement)}");
                    valid = false;
                    break;
            }
        }
        valid &= TryWebhookAddress(advanced, problems, out var webhookAddress);
        var withWebhooks = AdvancedConfig.DefaultEventsIntervalWithWebhooks;
        if (advanced.TryGetProperty("events_interval_with_webhooks", out var withWebhooksElement) && withWebhooksElement.ValueKind != JsonValueKind.Null
            && (withWebhooksElement.ValueKind != JsonValueKind.String || !IsoDuration.TryParse(withWebhooksElement.GetString()!, out withWebhooks) || withWebhooks <= TimeSpan.Zero))
        {
            problems.Add("config.advanced.events_interval_with_webhooks", $"expected an ISO 8601 duration such as PT15M, got {Describe(withWebhooksElement)}");
            valid = false;
        }
        if (!valid)
        {
            return null;
        }
        return new AdvancedConfig(baseUrl)
        {
            EventLag = TimeSpan.FromSeconds(lag),
            ListLag = TimeSpan.FromSeconds(listLag),
            EventPayloads = payloads,
            AttemptTimeout = TimeSpan.FromSeconds(attempt),
            RequestTimeout = TimeSpan.FromSeconds(total),
            MaxRequestsPerSecond = rate > 0 ? rate : null,
            RequestsPerSecondPerEndpoint = endpointRate,
            WebhookAddress = webhookAddress,
            EventsIntervalWithWebhooks = withWebhooks,
        };
    }

    private static bool TryWholeNumber(JsonElement obj, string name, int fallback, int min, int max, ConfigProblems problems, out int value, string unit = "seconds")
    {
        value = fallback;
        if (!obj.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind == JsonValueKind.Number && element.TryGetInt32(out value) && value >= min && value <= max)
        {
            return true;
        }
        problems.Add("config.advanced." + name, $"expected a whole number of {unit} from {min} to {max}, got {Describe(element)}");
        return false;
    }

    /// <summary>https anywhere; plain http only to this machine (tests, a local proxy), never over a network.</summary>
    public static bool TryParseBaseUrl(string text, out Uri url, out string why)
    {
        url = AdvancedConfig.DefaultBaseUrl;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var parsed) || (parsed.Scheme != Uri.UriSchemeHttps && parsed.Scheme != Uri.UriSchemeHttp))
        {
            why = $"expected an absolute https URL such as {AdvancedConfig.DefaultBaseUrl}, got {Describe(text)}";
            return false;
        }
        if (parsed.Query.Length > 0 || parsed.Fragment.Length > 0)
        {
            why = $"expected a URL without query or fragment, got {Describe(text)}";
            return false;
        }
        if (parsed.Scheme == Uri.UriSchemeHttp && !IsLoopback(parsed))
        {
            why = $"expected https: plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost), got {Describe(text)}";
            return false;
        }
        url = new Uri(parsed.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        why = "";
        return true;
    }

    private static bool IsLoopback(Uri url) =>
        url.IsLoopback || (IPAddress.TryParse(url.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    public static bool TryParseRfc3339(string text, out DateTimeOffset value)
    {
        value = default;
        return Rfc3339().IsMatch(text)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out value);
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$")]
    private static partial Regex Rfc3339();

    private static string? RequiredString(JsonElement root, string name, ConfigProblems problems, string expected)
    {
        if (!root.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            problems.Add("config." + name, "missing: " + expected);
            return null;
        }
        if (element.ValueKind != JsonValueKind.String)
        {
            // Describe only the JSON type: a secret may have been pasted as a number or object.
            problems.Add("config." + name, $"{expected}, got {KindName(element.ValueKind)}");
            return null;
        }
        var text = element.GetString()!;
        if (text.Trim().Length == 0)
        {
            problems.Add("config." + name, "empty: " + expected);
            return null;
        }
        return text;
    }
}
