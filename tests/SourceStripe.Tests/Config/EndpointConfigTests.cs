using System.Net;
using System.Text.Json;
using SourceStripe.Config;

namespace SourceStripe.Tests.Config;

public sealed class EndpointConfigTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 12, 0, 0, TimeSpan.Zero);

    private const string Valid = """{"account_id":"acct_1","client_secret":"sk_live_secretvalue123","start_date":"2022-06-06T00:00:00Z"}""";

    [Fact]
    public void A_valid_config_parses_with_defaults()
    {
        var config = Parse(Valid, out var problems);
        Assert.False(problems.Any, string.Join("; ", problems.All));
        Assert.Equal("acct_1", config!.AccountId);
        Assert.Equal(new DateTimeOffset(2022, 6, 6, 0, 0, 0, TimeSpan.Zero), config.StartDate);
        Assert.Equal(0, config.LookbackWindowDays);
        Assert.Equal(new Uri("https://api.stripe.com"), config.Advanced.BaseUrl);
        Assert.True(config.ClientSecret.IsLive);
        Assert.DoesNotContain("secretvalue", config.ClientSecret.ToString());
        Assert.DoesNotContain("secretvalue", config.ToString());
    }

    [Theory]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00+02:00","lookback_window_days":3}""", "2022-06-05T22:00:00Z")]
    [InlineData("""{"account_id":"acct_1","client_secret":"rk_test_abcdefgh","start_date":"2022-06-06T00:00:00.123Z"}""", "2022-06-06T00:00:00Z")]
    public void Rfc3339_offsets_and_fractions_are_accepted(string json, string expectedUtcSecond)
    {
        var config = Parse(json, out var problems);
        Assert.False(problems.Any, string.Join("; ", problems.All));
        Assert.Equal(expectedUtcSecond, config!.StartDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ"));
    }

    [Theory]
    [InlineData("""[]""", "config: expected an object with account_id, client_secret and start_date, got an array")]
    [InlineData("""{"client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z"}""", "config.account_id: missing")]
    [InlineData("""{"account_id":12,"client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z"}""", "config.account_id: expected your Stripe account id, such as acct_1032D82eZvKYlo2C, got a number")]
    [InlineData("""{"account_id":"acct_1","start_date":"2022-06-06T00:00:00Z"}""", "config.client_secret: missing")]
    [InlineData("""{"account_id":"acct_1","client_secret":"pk_live_abcdefgh","start_date":"2022-06-06T00:00:00Z"}""", "config.client_secret: expected a Stripe secret key starting with sk_live_")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh"}""", "config.start_date: missing")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06"}""", "config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"2022-06-06\"")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"06/06/2022 00:00"}""", "config.start_date: expected an RFC 3339 date-time")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00"}""", "config.start_date: expected an RFC 3339 date-time")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2030-01-01T00:00:00Z"}""", "config.start_date: expected a date-time in the past, got 2030-01-01T00:00:00Z")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z","lookback_window_days":-1}""", "config.lookback_window_days: expected 0 or more days, got -1")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z","lookback_window_days":"3"}""", "config.lookback_window_days: expected a whole number of days, 0 or more, got \"3\"")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z","lookback_window_days":1.5}""", "config.lookback_window_days: expected a whole number of days, 0 or more, got 1.5")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z","advanced":{"base_url":"http://stripe.example.com"}}""", "config.advanced.base_url: expected https: plain http is allowed only to a loopback address")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z","advanced":{"base_url":"ftp://127.0.0.1"}}""", "config.advanced.base_url: expected an absolute https URL")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z","advanced":"fast"}""", "config.advanced: expected an object of advanced options, got \"fast\"")]
    [InlineData("""{"account_id":"acct_1","client_secret":"sk_test_abcdefgh","start_date":"2022-06-06T00:00:00Z","advanced":{"max_requests_per_second_per_endpoint":0}}""", "config.advanced.max_requests_per_second_per_endpoint: expected a whole number of requests per second from 1 to 10000, got 0")]
    public void Each_mistake_names_the_field_and_what_is_expected(string json, string expected)
    {
        Assert.Null(Parse(json, out var problems));
        Assert.Contains(problems.All, p => p.StartsWith(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("http://127.0.0.1:4242", "http://127.0.0.1:4242/")]
    [InlineData("http://localhost:4242/", "http://localhost:4242/")]
    [InlineData("http://[::1]:4242", "http://[::1]:4242/")]
    [InlineData("https://stripe-proxy.internal.example/", "https://stripe-proxy.internal.example/")]
    public void Base_url_allows_https_anywhere_and_http_only_to_loopback(string url, string expected)
    {
        Assert.True(EndpointConfig.TryParseBaseUrl(url, out var parsed, out var why), why);
        Assert.Equal(expected, parsed.ToString());
    }

    [Fact]
    public void The_secret_never_appears_in_a_problem()
    {
        const string secret = "pk_live_DO_NOT_ECHO_ME";
        Parse($$"""{"account_id":"acct_1","client_secret":"{{secret}}","start_date":"bad"}""", out var problems);
        Assert.DoesNotContain(problems.All, p => p.Contains("DO_NOT_ECHO_ME"));
    }

    private static EndpointConfig? Parse(string json, out ConfigProblems problems)
    {
        problems = new ConfigProblems();
        using var document = JsonDocument.Parse(json);
        return EndpointConfig.Parse(document.RootElement.Clone(), problems, Now);
    }

    [Fact]
    public void Connected_accounts_are_off_unless_asked_for()
    {
        Assert.False(Parse(Valid, out _)!.CaptureConnectedAccounts);
        Assert.True(Parse(Valid.Replace("}", ""","capture_connected_accounts":true}"""), out _)!.CaptureConnectedAccounts);
        Assert.False(Parse(Valid.Replace("}", ""","capture_connected_accounts":null}"""), out _)!.CaptureConnectedAccounts);
    }

    [Fact]
    public void Each_endpoint_is_paced_to_stripes_25_a_second_unless_raised_whatever_the_keys_rate()
    {
        var defaults = Parse(Valid, out _)!.Advanced;
        Assert.Equal((100, 25), (defaults.RequestsPerSecond(new SecretKey("sk_live_secretvalue123")), defaults.RequestsPerSecondPerEndpoint));
        var raised = Parse(Valid.Replace("}", ""","advanced":{"max_requests_per_second":400,"max_requests_per_second_per_endpoint":80}}"""), out _)!.Advanced;
        Assert.Equal((400, 80), (raised.RequestsPerSecond(new SecretKey("sk_live_secretvalue123")), raised.RequestsPerSecondPerEndpoint));
    }

    [Fact]
    public void Capture_connected_accounts_must_be_a_boolean()
    {
        Assert.Null(Parse(Valid.Replace("}", ""","capture_connected_accounts":"yes"}"""), out var problems));
        Assert.Equal(["config.capture_connected_accounts: expected true or false, got \"yes\""], problems.All);
    }

    [Fact]
    public void Without_a_secret_there_are_no_webhooks_and_the_address_is_the_public_port()
    {
        foreach (var json in new[] { Valid, With("\"webhook_signing_secret\":null"), With("\"webhook_signing_secret\":\"  \"") })
        {
            var config = Parse(json, out var problems);
            Assert.False(problems.Any, string.Join("; ", problems.All));
            Assert.Empty(config!.WebhookSecrets);
            Assert.Equal(new IPEndPoint(IPAddress.Any, 8080), config.Advanced.WebhookAddress);
        }
    }

    [Theory]
    [InlineData("whsec_one", new[] { "whsec_one" })]
    [InlineData("whsec_new,whsec_old", new[] { "whsec_new", "whsec_old" })]
    [InlineData(" whsec_new , whsec_old ", new[] { "whsec_new", "whsec_old" })]
    [InlineData("whsec_same,whsec_same", new[] { "whsec_same" })]
    public void One_secret_or_several_separated_by_commas(string text, string[] expected)
    {
        var config = Parse(With($"\"webhook_signing_secret\":\"{text}\""), out var problems);
        Assert.False(problems.Any, string.Join("; ", problems.All));
        Assert.Equal(expected, config!.WebhookSecrets);
    }

    [Theory]
    [InlineData("\"whsec_TOPSECRET1,\"", "got an empty secret (part 2 of 2)")]
    [InlineData("\"sk_live_TOPSECRET1\"", "got a value that is not whsec_ followed by the secret (not shown)")]
    [InlineData("\"whsec_ok,TOPSECRET1\"", "got a value (part 2 of 2) that is not whsec_ followed by the secret (not shown)")]
    [InlineData("\"whsec_\"", "got a value that is not whsec_ followed by the secret (not shown)")]
    [InlineData("\"whsec_TOP SECRET1\"", "got a value with a space inside (not shown)")]
    [InlineData("12", "got a number")]
    public void A_bad_secret_names_the_field_and_what_is_expected_and_never_its_value(string value, string got)
    {
        Assert.Null(Parse(With($"\"webhook_signing_secret\":{value}"), out var problems));
        var problem = Assert.Single(problems.All);
        Assert.StartsWith("config.webhook_signing_secret: expected the Stripe event destination's signing secret, starting with whsec_", problem);
        Assert.EndsWith(got, problem);
        Assert.DoesNotContain("TOPSECRET", problem);
        Assert.DoesNotContain("TOP SECRET", problem);
    }

    [Fact]
    public void The_secrets_never_appear_in_the_configs_text()
    {
        var config = Parse(With("\"webhook_signing_secret\":\"whsec_TOPSECRET1,whsec_TOPSECRET2\""), out _)!;
        Assert.DoesNotContain("TOPSECRET", config.ToString());
        Assert.DoesNotContain("TOPSECRET", config.Advanced.ToString());
    }

    [Fact]
    public void A_signing_secret_pasted_into_another_field_is_not_echoed()
    {
        Assert.Null(Parse(Valid.Replace("2022-06-06T00:00:00Z", "whsec_TOPSECRET1"), out var problems));
        Assert.DoesNotContain(problems.All, p => p.Contains("TOPSECRET"));
    }

    [Theory]
    [InlineData("0.0.0.0:8080", "0.0.0.0", 8080)]
    [InlineData("127.0.0.1:1", "127.0.0.1", 1)]
    [InlineData("[::]:8080", "::", 8080)]
    [InlineData("[::1]:65535", "::1", 65535)]
    public void The_address_is_an_ip_and_a_port(string text, string ip, int port)
    {
        var config = Parse(With($"\"advanced\":{{\"webhook_address\":\"{text}\"}}"), out var problems);
        Assert.False(problems.Any, string.Join("; ", problems.All));
        Assert.Equal(new IPEndPoint(IPAddress.Parse(ip), port), config!.Advanced.WebhookAddress);
    }

    [Theory]
    [InlineData("\"8080\"")]
    [InlineData("\":8080\"")]
    [InlineData("\"0.0.0.0\"")]
    [InlineData("\"0.0.0.0:0\"")]
    [InlineData("\"0.0.0.0:65536\"")]
    [InlineData("\"0.0.0.0:+80\"")]
    [InlineData("\"1.2:8080\"")]
    [InlineData("\"::1:8080\"")]
    [InlineData("\"[127.0.0.1]:8080\"")]
    [InlineData("\"example.com:8080\"")]
    [InlineData("8080")]
    public void A_bad_address_says_what_is_expected(string value)
    {
        Assert.Null(Parse(With($"\"advanced\":{{\"webhook_address\":{value}}}"), out var problems));
        var problem = Assert.Single(problems.All);
        Assert.StartsWith("config.advanced.webhook_address: expected an IP address and port to listen on for Stripe's webhooks, such as 0.0.0.0:8080", problem);
    }

    private static string With(string field) => Valid.Replace("}", "," + field + "}");
}
