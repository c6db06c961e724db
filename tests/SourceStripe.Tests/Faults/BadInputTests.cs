using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Tests.EndToEnd;
using static SourceStripe.Tests.Faults.FaultRequests;

namespace SourceStripe.Tests.Faults;

/// <summary>
/// Bad input through the published binary: each row is one run with the stdin it gets, the exit code it
/// must end with and the error Flow will show the user (the last stderr line), which must name the field
/// or thing at fault and what is expected. Rows that fail on their input run with a tripwire as the
/// HTTP(S) proxy, proving that the connector sent nothing to Stripe.
/// </summary>
public sealed class BadInputTests
{
    /// <summary>One row. <see cref="Expected"/> is the whole error message, or part of it when <see cref="Exact"/> is false;
    /// a row with a <see cref="Response"/> instead expects that response and exit 0.</summary>
    public sealed record BadInput(
        string Name,
        Func<Uri, byte[]> Stdin,
        int Exit,
        string? Expected,
        bool Exact = true,
        string? Response = null,
        bool UsesSimulator = false,
        string[]? Args = null);

    private const string PerLine = "expected one JSON object per line, such as {\"spec\":{}}";
    // Every stream, in catalog order: the message lists them all.
    private static readonly string StreamNames = string.Join(", ", SourceStripe.Streams.StreamCatalog.All.Select(s => s.Name));
    private const string Reset = "reset the capture's state (or backfill the whole capture) to start over";

    private static byte[] Line(string text) => Encoding.UTF8.GetBytes(text + "\n");

    private static Func<Uri, byte[]> Text(string text) => _ => Line(text);

    private static Func<Uri, byte[]> DiscoverWith(Action<JsonObject> edit) => _ => Line(Discover(Endpoint(edit: edit)));

    private static Func<Uri, byte[]> AdvancedOption(string name, JsonNode? value) =>
        DiscoverWith(c => c["advanced"] = new JsonObject { [name] = value });

    private static Func<Uri, byte[]> ValidateResource(params JsonNode?[] resources) => _ => Line(Validate(Endpoint(), resources));

    private static Func<Uri, byte[]> OpenWithState(JsonNode? state) => _ => Line(Open(Endpoint(), state, Resource("charges")));

    private static string OpenWithRange(JsonObject config, long begin, long end)
    {
        var open = JsonNode.Parse(Open(config, new JsonObject(), Resource("charges")))!;
        open["open"]!["range"] = new JsonObject { ["keyBegin"] = begin, ["keyEnd"] = end, ["rClockBegin"] = 0, ["rClockEnd"] = 4294967295 };
        return open.ToJsonString();
    }

    /// <summary>A validate whose collection was discovered with connected accounts on (its schema requires account_id), now with the option off.</summary>
    private static string ValidateRequiringAccountId()
    {
        var validate = JsonNode.Parse(Validate(Endpoint(), Resource("customers")))!;
        validate["validate"]!["bindings"]![0]!["collection"] = new JsonObject
        {
            ["name"] = "acmeCo/stripe/customers",
            ["key"] = new JsonArray("/id"),
            ["writeSchema"] = new JsonObject { ["type"] = "object", ["required"] = new JsonArray("id", "account_id") },
        };
        return validate.ToJsonString();
    }

    /// <summary>A state of this version whose charges binding holds <paramref name="entry"/> as the platform's progress.</summary>
    private static JsonObject StateOf(JsonNode? entry) =>
        new() { ["version"] = 2, ["pending"] = new JsonObject { ["charges"] = new JsonObject { ["acct_simulator"] = entry } } };

    private static JsonObject Versioned(string name, JsonNode value) => new() { ["version"] = 2, [name] = value };

    public static readonly IReadOnlyList<BadInput> Rows =
    [
        // The request line itself.
        new("malformed JSON line", Text("{\"spec\":"), 1,
            $"Could not read the request: it is not valid JSON (the line ends before every object and array in it is closed, at byte 9); {PerLine}"),
        new("unquoted member name", Text("{spec:{}}"), 1,
            $"Could not read the request: it is not valid JSON ('s' is an invalid start of a property name, at byte 2); {PerLine}"),
        new("a request that is an array", Text("[{\"spec\":{}}]"), 1,
            $"Could not read the request: {PerLine}, got an array"),
        new("unknown request type", Text("{\"frobnicate\":{}}"), 1,
            "Unknown request: expected one of spec, discover, validate, apply or open as the request's member, with an object as its value, got \"frobnicate\""),
        new("a request without members", Text("{}"), 1,
            "Unknown request: expected one of spec, discover, validate, apply or open as the request's member, with an object as its value, got an empty object"),
        new("a request member that is null", Text("{\"spec\":null}"), 1,
            "Unknown request: expected one of spec, discover, validate, apply or open as the request's member, with an object as its value, got \"spec\": null"),
        new("a request member of the wrong JSON type", Text("{\"spec\":[]}"), 1,
            "Could not read the request: spec: expected an object, got an array"),
        new("empty stdin", _ => [], 1,
            "No request arrived on stdin: expected one JSON request per line, such as {\"spec\":{}}"),
        new("whitespace-only stdin", _ => Encoding.UTF8.GetBytes("  \n\t\n\r\n   \n"), 1,
            "No request arrived on stdin: expected one JSON request per line, such as {\"spec\":{}}"),
        new("a 20 MB line of garbage", _ => Encoding.UTF8.GetBytes(new string('x', 20_000_000) + "\n"), 1,
            $"Could not read the request: it is not valid JSON ('x' is an invalid start of a value, at byte 1); {PerLine}"),
        new("a 20 MB invalid literal (quoted cut, not whole)", _ => Encoding.UTF8.GetBytes(new string('n', 20_000_000) + "\n"), 1,
            $"Could not read the request: it is not valid JSON ('{new string('n', 59)}…, at byte 2); {PerLine}"),
        new("a 20 MB unknown field in a spec request is answered", _ => Encoding.UTF8.GetBytes("{\"spec\":{\"connectorType\":\"IMAGE\",\"aFieldFromTheFuture\":\"" + new string('a', 20_000_000) + "\"}}\n"), 0,
            null, Response: "spec"),
        new("an unknown field nested 300 deep in a spec request is answered", Text("{\"spec\":{\"deep\":" + new string('[', 300) + new string(']', 300) + "}}"), 0,
            null, Response: "spec"),
        new("a request nested 600 deep", Text("{\"spec\":{\"deep\":" + new string('[', 600) + new string(']', 600) + "}}"), 1,
            $"Could not read the request: it nests objects and arrays more than 512 levels deep (at spec.deep); {PerLine}"),
        new("non-UTF-8 bytes", _ => [.. "{\"spec\":{\"x\":\""u8, 0xFF, 0xFE, 0xC0, .. "\"}}\n"u8], 1,
            "The request on stdin is not valid UTF-8: expected one JSON object per line"),
        new("an escaped unpaired surrogate in a config string", Text("{\"discover\":{\"config\":{\"account_id\":\"acct_1\",\"client_secret\":\"sk_test_abcdefgh\",\"start_date\":\"\\ud800\"}}}"), 1,
            "Could not read the request: discover.config.start_date: expected valid Unicode text, got a string that escapes an unpaired UTF-16 surrogate (such as \\ud800)"),
        new("an escaped unpaired surrogate in a member name", Text("{\"discover\":{\"config\":{\"\\udc00\":1}}}"), 1,
            "Could not read the request: a member name in discover.config escapes an unpaired UTF-16 surrogate (such as \\ud800), which is not text; expected valid Unicode in every name and string"),
        new("validate.bindings that is not an array", Text("{\"validate\":{\"config\":{},\"bindings\":5}}"), 1,
            "Could not read the request: validate.bindings: expected an array, got 5"),
        new("a stateKey that is not a string", Text("{\"open\":{\"capture\":{\"bindings\":[{\"stateKey\":5}]}}}"), 1,
            "Could not read the request: open.capture.bindings[0].stateKey: expected a string, got 5"),
        new("a binding that is null", Text("{\"open\":{\"capture\":{\"bindings\":[null]}}}"), 1,
            "Could not read the request: open.capture.bindings[0]: expected an object, got null"),
        new("a backfill counter that is not a whole number", Text("{\"open\":{\"capture\":{\"bindings\":[{\"backfill\":1.5}]}}}"), 1,
            "Could not read the request: open.capture.bindings[0].backfill: expected a whole number, got 1.5"),
        new("a request that is null", Text("null"), 1,
            $"Could not read the request: {PerLine}, got null"),
        new("a malformed line with --log.level=debug", Text("{\"spec\":"), 1,
            $"Could not read the request: it is not valid JSON (the line ends before every object and array in it is closed, at byte 9); {PerLine}",
            Args: ["--log.level=debug"]),

        // The endpoint config, field by field: missing, wrong JSON type, out of range.
        new("config not an object", _ => Line(Discover(new JsonArray(1))), 1,
            "Invalid configuration: config: expected an object with account_id, client_secret and start_date, got an array"),
        new("config missing", Text("{\"discover\":{\"connectorType\":\"IMAGE\"}}"), 1,
            "Invalid configuration: config: expected an object with account_id, client_secret and start_date, got nothing"),
        new("account_id missing", DiscoverWith(c => c.Remove("account_id")), 1,
            "Invalid configuration: config.account_id: missing: expected your Stripe account id, such as acct_1032D82eZvKYlo2C"),
        new("account_id a number", DiscoverWith(c => c["account_id"] = 42), 1,
            "Invalid configuration: config.account_id: expected your Stripe account id, such as acct_1032D82eZvKYlo2C, got a number"),
        new("account_id with spaces", DiscoverWith(c => c["account_id"] = "acct 1"), 1,
            "Invalid configuration: config.account_id: expected an account id without spaces, such as acct_1032D82eZvKYlo2C"),
        new("client_secret missing", DiscoverWith(c => c.Remove("client_secret")), 1,
            "Invalid configuration: config.client_secret: missing: expected a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_live_…, rk_test_…)"),
        new("client_secret an object", DiscoverWith(c => c["client_secret"] = new JsonObject { ["key"] = "sk_test_abcdefgh" }), 1,
            "Invalid configuration: config.client_secret: expected a Stripe secret key (sk_live_…, sk_test_…) or restricted key (rk_live_…, rk_test_…), got an object"),
        new("client_secret a publishable key", DiscoverWith(c => c["client_secret"] = "pk_live_abcdefgh"), 1,
            "Invalid configuration: config.client_secret: expected a Stripe secret key starting with sk_live_, sk_test_, rk_live_ or rk_test_ (publishable pk_ keys cannot read data)"),
        new("start_date missing", DiscoverWith(c => c.Remove("start_date")), 1,
            "Invalid configuration: config.start_date: missing: expected the UTC date-time to capture from, in RFC 3339 such as 2017-01-25T00:00:00Z"),
        new("start_date a number", DiscoverWith(c => c["start_date"] = 20200101), 1,
            "Invalid configuration: config.start_date: expected the UTC date-time to capture from, in RFC 3339 such as 2017-01-25T00:00:00Z, got a number"),
        new("start_date a date without time", DiscoverWith(c => c["start_date"] = "2020-01-01"), 1,
            "Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"2020-01-01\""),
        new("start_date with a space for T", DiscoverWith(c => c["start_date"] = "2020-01-01 00:00:00Z"), 1,
            "Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"2020-01-01 00:00:00Z\""),
        new("start_date without an offset", DiscoverWith(c => c["start_date"] = "2020-01-01T00:00:00"), 1,
            "Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"2020-01-01T00:00:00\""),
        new("start_date in US notation", DiscoverWith(c => c["start_date"] = "01/25/2017"), 1,
            "Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"01/25/2017\""),
        new("start_date with month 13", DiscoverWith(c => c["start_date"] = "2020-13-01T00:00:00Z"), 1,
            "Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"2020-13-01T00:00:00Z\""),
        new("start_date a unix timestamp string", DiscoverWith(c => c["start_date"] = "1577836800"), 1,
            "Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"1577836800\""),
        new("start_date in the future", DiscoverWith(c => c["start_date"] = "2999-01-01T00:00:00Z"), 1,
            "Invalid configuration: config.start_date: expected a date-time in the past, got 2999-01-01T00:00:00Z (now is ", Exact: false),
        new("start_date before 1970", DiscoverWith(c => c["start_date"] = "1900-01-01T00:00:00Z"), 1,
            "Invalid configuration: config.start_date: expected a date-time from 1970-01-01T00:00:00Z on (Stripe timestamps start there), got 1900-01-01T00:00:00Z"),
        new("start_date holding a pasted key is not echoed", DiscoverWith(c => c["start_date"] = "sk_live_pasted_in_the_wrong_field"), 1,
            "Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got a value that looks like a Stripe key (not shown)"),
        new("start_date of a megabyte is cut", DiscoverWith(c => c["start_date"] = new string('2', 1_000_000)), 1,
            $"Invalid configuration: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"{new string('2', 60)}…\""),
        new("lookback_window_days a string", DiscoverWith(c => c["lookback_window_days"] = "3"), 1,
            "Invalid configuration: config.lookback_window_days: expected a whole number of days, 0 or more, got \"3\""),
        new("lookback_window_days negative", DiscoverWith(c => c["lookback_window_days"] = -1), 1,
            "Invalid configuration: config.lookback_window_days: expected 0 or more days, got -1"),
        new("lookback_window_days fractional", DiscoverWith(c => c["lookback_window_days"] = 1.5), 1,
            "Invalid configuration: config.lookback_window_days: expected a whole number of days, 0 or more, got 1.5"),
        new("lookback_window_days over ten years", DiscoverWith(c => c["lookback_window_days"] = 3651), 1,
            "Invalid configuration: config.lookback_window_days: expected at most 3650 days (ten years), got 3651"),
        new("lookback_window_days beyond int", DiscoverWith(c => c["lookback_window_days"] = 1_000_000_000_000), 1,
            "Invalid configuration: config.lookback_window_days: expected at most 3650 days (ten years), got 1000000000000"),
        new("advanced not an object", DiscoverWith(c => c["advanced"] = "fast"), 1,
            "Invalid configuration: config.advanced: expected an object of advanced options, got \"fast\""),
        new("advanced.base_url a number", AdvancedOption("base_url", 443), 1,
            "Invalid configuration: config.advanced.base_url: expected a URL string such as https://api.stripe.com/, got 443"),
        new("advanced.base_url relative", AdvancedOption("base_url", "api.stripe.com"), 1,
            "Invalid configuration: config.advanced.base_url: expected an absolute https URL such as https://api.stripe.com/, got \"api.stripe.com\""),
        new("advanced.base_url plain http to a remote host", AdvancedOption("base_url", "http://api.stripe.com"), 1,
            "Invalid configuration: config.advanced.base_url: expected https: plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost), got \"http://api.stripe.com\""),
        new("advanced.base_url plain http to a private address", AdvancedOption("base_url", "http://10.0.0.1:8080"), 1,
            "Invalid configuration: config.advanced.base_url: expected https: plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost), got \"http://10.0.0.1:8080\""),
        new("advanced.base_url with a query", AdvancedOption("base_url", "https://proxy.example.com/?key=1"), 1,
            "Invalid configuration: config.advanced.base_url: expected a URL without query or fragment, got \"https://proxy.example.com/?key=1\""),
        new("advanced.event_lag_seconds a string", AdvancedOption("event_lag_seconds", "60"), 1,
            "Invalid configuration: config.advanced.event_lag_seconds: expected a whole number of seconds from 0 to 3600, got \"60\""),
        new("advanced.event_lag_seconds negative", AdvancedOption("event_lag_seconds", -1), 1,
            "Invalid configuration: config.advanced.event_lag_seconds: expected a whole number of seconds from 0 to 3600, got -1"),
        new("advanced.event_lag_seconds over an hour", AdvancedOption("event_lag_seconds", 3601), 1,
            "Invalid configuration: config.advanced.event_lag_seconds: expected a whole number of seconds from 0 to 3600, got 3601"),
        new("advanced.list_lag_seconds negative", AdvancedOption("list_lag_seconds", -1), 1,
            "Invalid configuration: config.advanced.list_lag_seconds: expected a whole number of seconds from 0 to 3600, got -1"),
        new("advanced.event_payloads a number", AdvancedOption("event_payloads", 1), 1,
            "Invalid configuration: config.advanced.event_payloads: expected auto or refetch, got 1"),
        new("advanced.event_payloads unknown", AdvancedOption("event_payloads", "always"), 1,
            "Invalid configuration: config.advanced.event_payloads: expected auto or refetch, got \"always\""),
        new("advanced.request_timeout_seconds a boolean", AdvancedOption("request_timeout_seconds", true), 1,
            "Invalid configuration: config.advanced.request_timeout_seconds: expected a whole number of seconds from 1 to 600, got true"),
        new("advanced.request_timeout_seconds zero", AdvancedOption("request_timeout_seconds", 0), 1,
            "Invalid configuration: config.advanced.request_timeout_seconds: expected a whole number of seconds from 1 to 600, got 0"),
        new("advanced.request_timeout_seconds over ten minutes", AdvancedOption("request_timeout_seconds", 601), 1,
            "Invalid configuration: config.advanced.request_timeout_seconds: expected a whole number of seconds from 1 to 600, got 601"),
        new("advanced.max_retry_seconds a string", AdvancedOption("max_retry_seconds", "2"), 1,
            "Invalid configuration: config.advanced.max_retry_seconds: expected a whole number of seconds from 1 to 86400, got \"2\""),
        new("advanced.max_retry_seconds zero", AdvancedOption("max_retry_seconds", 0), 1,
            "Invalid configuration: config.advanced.max_retry_seconds: expected a whole number of seconds from 1 to 86400, got 0"),
        new("advanced.max_retry_seconds over a day", AdvancedOption("max_retry_seconds", 86401), 1,
            "Invalid configuration: config.advanced.max_retry_seconds: expected a whole number of seconds from 1 to 86400, got 86401"),
        new("every advanced mistake is reported at once", DiscoverWith(c => c["advanced"] = new JsonObject { ["base_url"] = "ftp://x", ["event_lag_seconds"] = -1, ["max_retry_seconds"] = 0, ["event_payloads"] = "x" }), 1,
            "Invalid configuration (4 problems): config.advanced.base_url: expected an absolute https URL such as https://api.stripe.com/, got \"ftp://x\"; "
            + "config.advanced.event_lag_seconds: expected a whole number of seconds from 0 to 3600, got -1; "
            + "config.advanced.max_retry_seconds: expected a whole number of seconds from 1 to 86400, got 0; "
            + "config.advanced.event_payloads: expected auto or refetch, got \"x\""),

        // Bindings (validate).
        new("unknown stream", ValidateResource(Resource("chargez")), 1,
            $"Invalid configuration: bindings[0].resourceConfig.stream: unknown stream \"chargez\"; expected one of: {StreamNames}"),
        new("stream not a string", ValidateResource(new JsonObject { ["stream"] = 7, ["syncMode"] = "incremental" }), 1,
            $"Invalid configuration: bindings[0].resourceConfig.stream: expected one of the stream names ({StreamNames}), got 7"),
        new("events with full_refresh", ValidateResource(Resource("events", "full_refresh")), 1,
            "Invalid configuration: bindings[0].resourceConfig.syncMode: stream events does not support full_refresh; it supports incremental"),
        new("an unknown syncMode", ValidateResource(Resource("charges", "append")), 1,
            "Invalid configuration: bindings[0].resourceConfig.syncMode: expected incremental or full_refresh, got \"append\""),
        new("interval not ISO 8601", ValidateResource(Resource("charges", interval: "5m")), 1,
            "Invalid configuration: bindings[0].resourceConfig.interval: expected a positive ISO 8601 duration such as PT5M or PT1H, got \"5m\""),
        new("interval a number", ValidateResource(new JsonObject { ["stream"] = "charges", ["syncMode"] = "incremental", ["interval"] = 300 }), 1,
            "Invalid configuration: bindings[0].resourceConfig.interval: expected a positive ISO 8601 duration such as PT5M or PT1H, got 300"),
        new("interval zero", ValidateResource(Resource("charges", interval: "PT0S")), 1,
            "Invalid configuration: bindings[0].resourceConfig.interval: expected a positive ISO 8601 duration such as PT5M or PT1H, got \"PT0S\""),
        new("interval longer than a month", ValidateResource(Resource("charges", "full_refresh", "P60D")), 1,
            "Invalid configuration: bindings[0].resourceConfig.interval: expected a duration of at most P31D (a month), got \"P60D\""),
        new("interval too long for any clock", ValidateResource(Resource("charges", interval: "P99999999999D")), 1,
            "Invalid configuration: bindings[0].resourceConfig.interval: expected a duration of at most P31D (a month), got \"P99999999999D\""),
        new("duplicate bindings", ValidateResource(Resource("charges"), Resource("customers"), Resource("charges")), 1,
            "Invalid configuration: bindings[2].resourceConfig.stream: stream charges is already bound by bindings[0]; bind each stream once"),
        new("resourceConfig not an object", ValidateResource(new JsonArray("charges")), 1,
            "Invalid configuration: bindings[0].resourceConfig: expected an object with stream and syncMode, got an array"),

        // apply and open.
        new("apply with a bad config", _ => Line(Apply(Endpoint(edit: c => c["start_date"] = "yesterday"), Resource("charges"))), 1,
            "Invalid capture specification: config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"yesterday\""),
        new("open without capture", _ => Line(Open(capture: null, new JsonObject())), 1,
            "Invalid open request: open.capture is missing; expected the capture specification"),
        new("open with plain http to a remote host", _ => Line(Open(Endpoint(baseUrl: new Uri("http://stripe.example.com")), new JsonObject(), Resource("charges"))), 1,
            "Invalid capture: config.advanced.base_url: expected https: plain http is allowed only to a loopback address (127.0.0.1, ::1, localhost), got \"http://stripe.example.com/\""),
        new("open with duplicate bindings", _ => Line(Open(Endpoint(), new JsonObject(), Resource("charges"), Resource("charges"))), 1,
            "Invalid capture: bindings[1].resourceConfig.stream: stream charges is already bound by bindings[0]; bind each stream once"),
        new("open state not an object", OpenWithState(new JsonArray(1)), 1,
            $"Invalid capture: open.state: expected an object (the merged checkpoints), got an array, which is not state this connector writes; {Reset}"),
        new("open state of an earlier version", OpenWithState(new JsonObject { ["bindingStateV1"] = new JsonObject() }), 1,
            $"Invalid capture: open.state.version: expected state written by this connector, version 2, got state without it (members bindingStateV1), which is not state this connector writes; {Reset}"),
        new("open state of another version", OpenWithState(new JsonObject { ["version"] = 3 }), 1,
            $"Invalid capture: open.state.version: expected state written by this connector, version 2, got 3, which is not state this connector writes; {Reset}"),
        new("open state with another top-level key", OpenWithState(Versioned("cursor", 5)), 1,
            $"Invalid capture: open.state.cursor: expected only version, bindings, accounts and pending, got this member, which is not state this connector writes; {Reset}"),
        new("open state with a column that is not one", OpenWithState(Versioned("bindings", new JsonArray(5))), 1,
            $"Invalid capture: open.state.bindings[0]: expected a column: {{\"stateKey\": …, \"backfill\": …, \"fullRefresh\": …}}, or null, got 5, which is not state this connector writes; {Reset}"),
        new("open state with a row that is not one", OpenWithState(Versioned("accounts", new JsonObject { ["acct_1"] = "sbrodc;12:00" })), 1,
            $"Invalid capture: open.state.accounts.acct_1: {SourceStripe.State.AccountRow.Expected}, got \"sbrodc;12:00\", which is not state this connector writes; {Reset}"),
        new("open state pending not an object", OpenWithState(Versioned("pending", 5)), 1,
            $"Invalid capture: open.state.pending: expected an object of the bindings' pending progress, got 5, which is not state this connector writes; {Reset}"),
        new("open state entry with ranges 5", OpenWithState(StateOf(new JsonObject { ["ranges"] = 5 })), 1,
            $"Invalid capture: open.state.pending.charges.acct_simulator.ranges: expected an object of the ranges still to read, got 5, which is not state this connector writes; {Reset}"),
        new("open state entry with a text cursor", OpenWithState(StateOf(new JsonObject { ["cursor"] = "yesterday" })), 1,
            $"Invalid capture: open.state.pending.charges.acct_simulator.cursor: expected a whole number of 0 or more, got \"yesterday\", which is not state this connector writes; {Reset}"),
        new("open with half the key range without connected accounts", _ => Line(OpenWithRange(Endpoint(), 0, 2147483647)), 1,
            "Invalid capture: open.range: this capture reads one account, which cannot be divided among shards, but this shard was given the range [0, 2147483647]; "
            + "run it as one shard, or set capture_connected_accounts to true to divide a platform's connected accounts among shards"),
        new("open with a range whose bounds are not numbers", _ => Line(OpenWithRange(Endpoint(edit: c => c["capture_connected_accounts"] = true), -1, 5)), 1,
            "Invalid capture: open.range.keyBegin: expected a whole number from 0 to 4294967295, got -1"),
        new("capture_connected_accounts not a boolean", DiscoverWith(c => c["capture_connected_accounts"] = "yes"), 1,
            "Invalid configuration: config.capture_connected_accounts: expected true or false, got \"yes\""),
        new("validate turning connected accounts off under collections that require account_id", _ => Line(ValidateRequiringAccountId()), 1,
            "Invalid configuration: config.capture_connected_accounts: is false, but the schemas of acmeCo/stripe/customers require account_id, which documents carry only while it is true; "
            + "set it back to true, or refresh those collections' schemas (discover again) so that they no longer require account_id"),
        new("open state entry that is an array", OpenWithState(StateOf(new JsonArray())), 1,
            $"Invalid capture: open.state.pending.charges.acct_simulator: expected an account's progress in the binding, got an array, which is not state this connector writes; {Reset}"),
        new("open state and config mistakes are reported together", _ => Line(Open(Endpoint(edit: c => c["lookback_window_days"] = -3), StateOf(new JsonObject { ["ranges"] = 5 }), Resource("charges"))), 1,
            $"Invalid capture (2 problems): config.lookback_window_days: expected 0 or more days, got -3; open.state.pending.charges.acct_simulator.ranges: expected an object of the ranges still to read, got 5, which is not state this connector writes; {Reset}"),
        new("open with state of a removed binding keeps going", baseUrl => Line(Open(Endpoint(baseUrl: baseUrl),
                new JsonObject
                {
                    ["version"] = 2,
                    ["bindings"] = new JsonArray(new JsonObject { ["stateKey"] = "customers", ["backfill"] = 0, ["fullRefresh"] = false }),
                    ["accounts"] = new JsonObject { ["acct_simulator"] = new JsonObject { ["base"] = 1_599_999_960, ["at"] = "0" } },
                },
                Resource("charges"))), 0,
            null, Response: "opened", UsesSimulator: true),
    ];

    public static TheoryData<string> RowNames()
    {
        var names = new TheoryData<string>();
        foreach (var row in Rows)
        {
            names.Add(row.Name);
        }
        return names;
    }

    [Fact]
    public void Rows_are_uniquely_named_and_enough()
    {
        Assert.Equal(Rows.Count, Rows.Select(r => r.Name).Distinct().Count());
        Assert.True(Rows.Count >= 32);
    }

    [Theory]
    [MemberData(nameof(RowNames))]
    public async Task Bad_input_fails_with_one_sentence_naming_what_is_expected(string name)
    {
        var row = Rows.Single(r => r.Name == name);
        await using var stripe = row.UsesSimulator ? await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 3 }) : null;
        using var tripwire = new Tripwire();
        var stdin = row.Stdin(stripe?.BaseUrl ?? new Uri("https://api.stripe.com"));
        var environment = stripe is null ? tripwire.Environment : null;

        // PublishedConnector takes text; bytes that are not UTF-8 go through the raw runner.
        var run = IsUtf8(stdin)
            ? await PublishedConnector.RunAsync(Encoding.UTF8.GetString(stdin), row.Args, environment)
            : await ConnectorProcess.RunAsync(stdin, row.Args, environment);

        Assert.True(row.Exit == run.ExitCode, $"exit {run.ExitCode}, expected {row.Exit}; stderr:\n{StreamChecks.Shorten(run.Stderr)}");
        foreach (var line in run.Stderr.Split('\n'))
        {
            StreamChecks.AssertNotStackTrace(line);
        }

        if (row.Response is { } response)
        {
            var messages = StreamChecks.AssertProtocolOnly(run.StdoutBytes);
            Assert.NotEmpty(messages);
            Assert.Equal(response, messages[0].First().Key);
            StreamChecks.AssertLogLines(run.Stderr);
        }
        else
        {
            Assert.True(run.StdoutBytes.Length == 0, $"stdout is not empty: {StreamChecks.Shorten(run.Stdout)}");
            var message = StreamChecks.AssertFinalError(run.Stderr);
            if (row.Exact)
            {
                Assert.Equal(row.Expected, message);
            }
            else
            {
                Assert.Contains(row.Expected!, message);
            }
        }

        if (stripe is null)
        {
            // Failing on the request must not cost a call to Stripe.
            Assert.Equal(0, tripwire.Connections);
        }
    }

    [Fact]
    public async Task The_tripwire_sees_a_request_that_does_reach_for_stripe()
    {
        // Control for the rows above: a valid validate request does try to reach api.stripe.com.
        using var tripwire = new Tripwire();
        var run = await PublishedConnector.RunAsync(Validate(Endpoint(), Resource("charges")), environment: tripwire.Environment);
        Assert.Equal(1, run.ExitCode);
        Assert.True(tripwire.Connections > 0, "the proxy saw no connection: the tripwire proves nothing\n" + run.Stderr);
        StreamChecks.AssertFinalError(run.Stderr);
    }

    private static bool IsUtf8(byte[] bytes)
    {
        try
        {
            new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
