using System.Text.Json.Nodes;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>The published NativeAOT binary answers Flow's unary requests over stdin/stdout.</summary>
public sealed class ProtocolEndToEndTests
{
    private const string Config = """{"account_id":"acct_1032D82eZvKYlo2C","client_secret":"sk_test_e2e_000000","start_date":"2017-01-25T00:00:00Z"}""";

    [Fact]
    public async Task Spec_answers_protocol_3032023_on_one_line()
    {
        var run = await PublishedConnector.RunAsync("{\"spec\":{}}\n");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(3032023, run.SingleResponse()["spec"]!["protocol"]!.GetValue<int>());
    }

    [Fact]
    public async Task Discover_lists_the_60_streams()
    {
        var run = await PublishedConnector.RunAsync($$$"""{"discover":{"connectorType":"IMAGE","config":{{{Config}}}}}""" + "\n");
        Assert.Equal(0, run.ExitCode);
        var bindings = run.SingleResponse()["discovered"]!["bindings"]!.AsArray();
        Assert.Equal(60, bindings.Count);
        Assert.All(bindings, b => Assert.Equal("object", b!["documentSchema"]!["type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Apply_answers_an_empty_action_description()
    {
        var run = await PublishedConnector.RunAsync($$$"""{"apply":{"capture":{"name":"acmeCo/source-stripe","config":{{{Config}}},"bindings":[]},"version":"1"}}""");
        Assert.Equal(0, run.ExitCode);
        Assert.Equal("""{"applied":{"actionDescription":""}}""", run.StdoutLines[0]);
    }

    [Fact]
    public async Task Unknown_flags_and_request_fields_are_ignored()
    {
        var run = await PublishedConnector.RunAsync("""{"spec":{"connectorType":"IMAGE","config":{},"aFieldFromTheFuture":1},"another":true}""", ["--log.level=debug", "--some-new-flag", "x"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Equal(3032023, run.SingleResponse()["spec"]!["protocol"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("{\"spec\":", "Could not read the request")]
    [InlineData("not json at all", "expected one JSON object per line")]
    [InlineData("{\"frobnicate\":{}}", "Unknown request: expected one of spec, discover, validate, apply or open")]
    [InlineData("", "No request arrived on stdin")]
    public async Task A_bad_line_gets_one_error_line_and_exit_code_1(string stdin, string expected)
    {
        var run = await PublishedConnector.RunAsync(stdin);
        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.StdoutBytes);
        var log = Assert.Single(run.Logs);
        Assert.Equal("error", log["level"]!.GetValue<string>());
        Assert.Contains(expected, log["msg"]!.GetValue<string>());
    }

    [Fact]
    public async Task Invalid_config_in_discover_names_each_field()
    {
        var run = await PublishedConnector.RunAsync("""{"discover":{"config":{"account_id":"acct_1","start_date":"2017-01-25","lookback_window_days":-2}}}""");
        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.StdoutBytes);
        var message = run.LastLog["msg"]!.GetValue<string>();
        Assert.Contains("config.client_secret: missing", message);
        Assert.Contains("config.start_date: expected an RFC 3339 date-time such as 2017-01-25T00:00:00Z, got \"2017-01-25\"", message);
        Assert.Contains("config.lookback_window_days: expected 0 or more days, got -2", message);
    }

    [Fact]
    public async Task Logs_are_flow_json_lines_on_stderr()
    {
        var run = await PublishedConnector.RunAsync("{\"nope\":1}");
        var log = run.LastLog;
        Assert.True(DateTimeOffset.TryParse(log["ts"]!.GetValue<string>(), out _));
        Assert.Equal("error", log["level"]!.GetValue<string>());
        Assert.IsType<JsonValue>(log["msg"], exactMatch: false);
    }
}
