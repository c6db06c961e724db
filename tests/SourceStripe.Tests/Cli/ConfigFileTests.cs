using System.Text.Json;
using SourceStripe.Cli;
using SourceStripe.Config;

namespace SourceStripe.Tests.Cli;

/// <summary>The config files the terminal commands read: YAML as written in flow.yaml, or JSON.</summary>
public sealed class ConfigFileTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("source-stripe-config-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Plain = """
        account_id: acct_123
        client_secret: sk_test_abc
        start_date: "2024-01-01T00:00:00Z"
        lookback_window_days: 3
        advanced:
          event_payloads: refetch
          max_requests_per_second: 12.5
        """;

    [Fact]
    public void A_yaml_config_becomes_the_json_the_protocol_carries()
    {
        var config = ConfigFile.Read(Write("config.yaml", Plain));
        Assert.Equal("acct_123", config.GetProperty("account_id").GetString());
        Assert.Equal(JsonValueKind.Number, config.GetProperty("lookback_window_days").ValueKind);
        Assert.Equal(3, config.GetProperty("lookback_window_days").GetInt32());
        Assert.Equal(12.5, config.GetProperty("advanced").GetProperty("max_requests_per_second").GetDouble());
        Assert.Equal("2024-01-01T00:00:00Z", config.GetProperty("start_date").GetString());
    }

    [Fact]
    public void Quoted_scalars_stay_strings_and_plain_ones_follow_yamls_core_schema()
    {
        var config = ConfigFile.Read(Write("types.yaml", """
            quoted_number: "30"
            plain_number: 30
            plain_true: true
            quoted_true: 'true'
            tilde: ~
            word: refetch
            date: 2024-01-01T00:00:00Z
            """));
        Assert.Equal(JsonValueKind.String, config.GetProperty("quoted_number").ValueKind);
        Assert.Equal(JsonValueKind.Number, config.GetProperty("plain_number").ValueKind);
        Assert.Equal(JsonValueKind.True, config.GetProperty("plain_true").ValueKind);
        Assert.Equal(JsonValueKind.String, config.GetProperty("quoted_true").ValueKind);
        Assert.Equal(JsonValueKind.Null, config.GetProperty("tilde").ValueKind);
        Assert.Equal("2024-01-01T00:00:00Z", config.GetProperty("date").GetString());
    }

    [Fact]
    public void The_config_block_of_a_flow_yaml_capture_is_found()
    {
        var indented = string.Join('\n', Plain.Split('\n').Select(l => "          " + l));
        var path = Write("flow.yaml", $"""
            captures:
              acmeCo/other:
                endpoint:
                  connector:
                    image: ghcr.io/estuary/source-postgres:dev
                    config: {"{"}address: db{"}"}
              acmeCo/stripe:
                endpoint:
                  connector:
                    image: ghcr.io/estuary/source-stripe:dev
                    config:
            {indented}
                bindings: []
            """);
        Assert.Equal("sk_test_abc", ConfigFile.Read(path).GetProperty("client_secret").GetString());
    }

    [Fact]
    public void A_config_block_and_a_config_naming_another_file_are_followed()
    {
        Write("stripe.config.yaml", Plain);
        var block = ConfigFile.Read(Write("block.yaml", "config:\n" + string.Join('\n', Plain.Split('\n').Select(l => "  " + l))));
        var reference = ConfigFile.Read(Write("reference.yaml", "config: stripe.config.yaml\n"));
        Assert.Equal("acct_123", block.GetProperty("account_id").GetString());
        Assert.Equal("acct_123", reference.GetProperty("account_id").GetString());
    }

    [Fact]
    public void A_json_config_is_read_as_json()
    {
        var config = ConfigFile.Read(Write("config.json", """{"account_id":"acct_9","client_secret":"sk_test_x","start_date":"2024-01-01T00:00:00Z"}"""));
        Assert.Equal("acct_9", config.GetProperty("account_id").GetString());
    }

    [Theory]
    [InlineData("bad.yaml", "account_id: [unclosed\n", "not valid YAML at line 2, column 1: While parsing a flow sequence")]
    [InlineData("bad.json", "{\"account_id\": }", "not valid JSON at line 1")]
    [InlineData("empty.yaml", "", "the file is empty")]
    [InlineData("key.yaml", "[a]: b\n", "line 1: a key is not a plain string")]
    [InlineData("list.yaml", "- a\n- b\n", "the document is a list; expected a mapping")]
    [InlineData("twice.yaml", "account_id: a\naccount_id: b\n", "not valid YAML at line 2, column 1: Duplicate key account_id")]
    [InlineData("sops.yaml", "client_secret: ENC[AES256_GCM,data:x]\nsops:\n  version: 3.8.1\n", "encrypted with sops; decrypt it first")]
    [InlineData("none.yaml", "captures:\n  a/b:\n    endpoint:\n      connector:\n        image: ghcr.io/estuary/source-hubspot:dev\n", "has 0 captures whose endpoint.connector.image is source-stripe")]
    public void A_file_that_holds_no_config_gets_one_message_naming_the_file_and_what_is_expected(string name, string text, string expected)
    {
        var path = Write(name, text);
        var error = Assert.Throws<ConfigException>(() => ConfigFile.Read(path));
        Assert.StartsWith($"--config {path}: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var path = Path.Combine(_folder, "missing.yaml");
        var error = Assert.Throws<ConfigException>(() => ConfigFile.Read(path));
        Assert.Contains($"--config {path}: cannot read the file", error.Message);
    }
}
