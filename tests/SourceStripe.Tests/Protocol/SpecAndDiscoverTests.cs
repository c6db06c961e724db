using System.Security.Cryptography;
using Snapshooter.Xunit;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Protocol;

public sealed class SpecAndDiscoverTests
{
    private const string Config = """{"account_id":"acct_1032D82eZvKYlo2C","client_secret":"sk_test_snapshot0000","start_date":"2017-01-25T00:00:00Z"}""";

    [Fact]
    public async Task Spec_matches_its_snapshot()
    {
        var (exit, responses) = await InProcessConnector.RunAsync("""{"spec":{"connectorType":"IMAGE","config":{}}}""" + "\n");
        Assert.Equal(0, exit);
        var spec = Assert.Single(responses)["spec"]!.AsObject();
        Assert.Equal(3032023, spec["protocol"]!.GetValue<int>());
        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(spec.ToJsonString()));
    }

    [Fact]
    public async Task Spec_config_schema_declares_the_promised_fields()
    {
        var (_, responses) = await InProcessConnector.RunAsync("""{"spec":{}}""");
        var schema = responses[0]["spec"]!["configSchema"]!;
        var properties = schema["properties"]!;
        Assert.Equal(["account_id", "client_secret", "start_date"], schema["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("Account ID", properties["account_id"]!["title"]!.GetValue<string>());
        Assert.Equal("Secret Key", properties["client_secret"]!["title"]!.GetValue<string>());
        Assert.True(properties["client_secret"]!["secret"]!.GetValue<bool>());
        Assert.True(properties["client_secret"]!["airbyte_secret"]!.GetValue<bool>());
        Assert.Equal("date-time", properties["start_date"]!["format"]!.GetValue<string>());
        Assert.Equal(0, properties["lookback_window_days"]!["minimum"]!.GetValue<int>());
        Assert.Equal(0, properties["lookback_window_days"]!["default"]!.GetValue<int>());
        Assert.Equal("https://api.stripe.com", properties["advanced"]!["properties"]!["base_url"]!["default"]!.GetValue<string>());
        foreach (var (name, field) in properties.AsObject())
        {
            Assert.False(string.IsNullOrWhiteSpace(field!["description"]?.GetValue<string>()), $"{name} has no description");
        }

        var resource = responses[0]["spec"]!["resourceConfigSchema"]!;
        Assert.Equal(StreamCatalog.All.Select(s => s.Name), resource["properties"]!["stream"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["incremental", "full_refresh"], resource["properties"]!["syncMode"]!["enum"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["/stream"], responses[0]["spec"]!["resourcePathPointers"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.StartsWith("https://", responses[0]["spec"]!["documentationUrl"]!.GetValue<string>());
    }

    [Fact]
    public async Task Discover_lists_every_stream_with_its_default_mode_schema_and_key()
    {
        var (exit, responses) = await InProcessConnector.RunAsync($$$"""{"discover":{"connectorType":"IMAGE","config":{{{Config}}}}}""");
        Assert.Equal(0, exit);
        var bindings = Assert.Single(responses)["discovered"]!["bindings"]!.AsArray();
        Assert.Equal(StreamCatalog.All.Length, bindings.Count);
        var defaults = bindings.ToDictionary(b => b!["recommendedName"]!.GetValue<string>(), b => b!["resourceConfig"]!["syncMode"]!.GetValue<string>());
        foreach (var fullRefresh in new[] { "bank_accounts", "customer_balance_transactions", "invoice_line_items", "subscription_items" })
        {
            Assert.Equal("full_refresh", defaults[fullRefresh]);
        }
        Assert.Equal(45, defaults.Values.Count(v => v == "incremental"));
        // Streams not every account can read are recommended disabled: bound by default, they would fail its capture.
        string[] disabled = ["accounts", "billing_meters", "external_account_bank_accounts", "external_account_cards", "issuing_authorizations",
            "issuing_cardholders", "issuing_cards", "issuing_disputes", "issuing_transactions", "persons", "radar_value_list_items", "radar_value_lists"];
        Assert.Equal(disabled, bindings.Where(b => b!["disable"]!.GetValue<bool>()).Select(b => b!["recommendedName"]!.GetValue<string>()));
        foreach (var binding in bindings)
        {
            var name = binding!["recommendedName"]!.GetValue<string>();
            Assert.Equal(name, binding["resourceConfig"]!["stream"]!.GetValue<string>());
            Assert.Equal(["/id"], binding["key"]!.AsArray().Select(n => n!.GetValue<string>()));
            Assert.Equal(System.Text.Encoding.UTF8.GetString(StreamCatalog.Find(name)!.DocumentSchema), binding["documentSchema"]!.ToJsonString());
        }
    }

    [Fact]
    public async Task Discover_with_connected_accounts_requires_account_id_in_every_schema_and_keeps_the_key()
    {
        var config = Config.Replace("}", ""","capture_connected_accounts":true}""");
        var (exit, responses) = await InProcessConnector.RunAsync($$$"""{"discover":{"connectorType":"IMAGE","config":{{{config}}}}}""");
        Assert.Equal(0, exit);
        var bindings = responses[0]["discovered"]!["bindings"]!.AsArray();
        Assert.Equal(StreamCatalog.All.Length, bindings.Count);
        foreach (var binding in bindings)
        {
            var schema = binding!["documentSchema"]!;
            Assert.Equal(["/id"], binding["key"]!.AsArray().Select(n => n!.GetValue<string>()));
            var name = binding["recommendedName"]!.GetValue<string>();
            var own = System.Text.Json.Nodes.JsonNode.Parse(StreamCatalog.Find(name)!.DocumentSchema)!;
            var required = schema["required"]!.AsArray();
            Assert.Contains("account_id", required.Select(r => r!.GetValue<string>()));
            Assert.Contains("string", schema["properties"]!["account_id"]!.ToJsonString());
            // Everything else is the stream's own schema (the children of Connect's accounts have account_id already, their parent's id).
            if (own["properties"]!["account_id"] is null)
            {
                schema["properties"]!.AsObject().Remove("account_id");
            }
            if (!own["required"]!.AsArray().Any(r => r!.GetValue<string>() == "account_id"))
            {
                required.RemoveAt(required.Count - 1);
            }
            Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(own, schema), name);
        }
    }

    /// <summary>
    /// Each schema has its own snapshot (DocumentSchemaTests); here each is replaced by its digest so this
    /// snapshot still changes with any schema without repeating 30,000 lines.
    /// </summary>
    [Fact]
    public async Task Discover_matches_its_snapshot()
    {
        var (_, responses) = await InProcessConnector.RunAsync($$$"""{"discover":{"config":{{{Config}}}}}""");
        foreach (var binding in responses[0]["discovered"]!["bindings"]!.AsArray())
        {
            var schema = binding!["documentSchema"]!.ToJsonString();
            binding["documentSchema"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(schema)));
        }
        Snapshot.Match(Newtonsoft.Json.Linq.JToken.Parse(responses[0].ToJsonString()));
    }

    [Fact]
    public async Task Apply_is_idempotent_and_describes_no_action()
    {
        var request = $$$"""{"apply":{"capture":{"name":"acmeCo/source-stripe","config":{{{Config}}},"bindings":[{"resourceConfig":{"stream":"charges","syncMode":"incremental"},"resourcePath":["charges"],"stateKey":"charges","backfill":0}]},"version":"v1"}}""";
        for (var i = 0; i < 2; i++)
        {
            var (exit, responses) = await InProcessConnector.RunAsync(request);
            Assert.Equal(0, exit);
            Assert.Equal("""{"applied":{"actionDescription":""}}""", Assert.Single(responses).ToJsonString());
        }
    }
}
