using System.Diagnostics;
using System.Text.Json.Nodes;
using SourceStripe.Streams;
using SourceStripe.Tests.EndToEnd;
using Xunit.Abstractions;

namespace SourceStripe.Tests.Generator;

/// <summary>
/// README's promise that adding a stream means editing streams.yaml and nothing else, kept by building a
/// copy of the build inputs with one more stream: the repository stays untouched, and the copy shares no
/// bin/ or obj/ with the builds of the tests running beside this one.
/// </summary>
public sealed class NewStreamTests(ITestOutputHelper output) : IDisposable
{
    private const string Name = "climate_orders";

    /// <summary>
    /// The README's own example of adding a stream (a real Stripe resource the connector does not capture;
    /// its model has a decimal Stripe sends as a string, a boolean and a timestamp, so the schema shows the generator's type
    /// mapping), so the example a newcomer copies is the one this test builds.
    /// </summary>
    private static string Entry
    {
        get
        {
            var readme = File.ReadAllText(Path.Combine(PublishedConnector.RepositoryRoot, "README.md"));
            var start = readme.IndexOf("<!-- new-stream-example -->", StringComparison.Ordinal);
            var end = readme.IndexOf("<!-- /new-stream-example -->", StringComparison.Ordinal);
            Assert.True(start >= 0 && end > start, "README has no new-stream-example markers");
            var block = readme[start..end];
            var code = block.IndexOf("```yaml\n", StringComparison.Ordinal) + "```yaml\n".Length;
            return "\n" + block[code..block.LastIndexOf("```", StringComparison.Ordinal)];
        }
    }

    private const string Discover = """{"discover":{"connectorType":"IMAGE","config":{"account_id":"acct_1032D82eZvKYlo2C","client_secret":"sk_test_newstream000","start_date":"2017-01-25T00:00:00Z"}}}""";

    // Everything MSBuild, the SDK resolver and the generator read outside the projects the connector builds from.
    private static readonly string[] RootFiles = ["streams.yaml", "Directory.Build.props", "global.json", ".editorconfig"];

    private static readonly string[] ProjectFolders = ["generator", "simulator", "connector"];

    // A cold build on two cores shared with the rest of the suite takes well under a minute; this only
    // stops a hung build from hanging the suite.
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(5);

    private readonly string _copy = Path.Combine(Path.GetTempPath(), "source-stripe-newstream-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_stream_added_to_streams_yaml_alone_is_discovered_with_a_schema_from_its_model()
    {
        // Otherwise the copy's discover would list the stream whether or not the edit below reached the build.
        Assert.True(StreamCatalog.Find(Name) is null, $"the connector already captures {Name}: pick another Stripe resource for this test");

        CopyBuildInputs(PublishedConnector.RepositoryRoot, _copy);
        File.AppendAllText(Path.Combine(_copy, "streams.yaml"), Entry);
        var connector = await BuildAsync();

        var run = await ChildProcess.RunAsync(new ProcessStartInfo("dotnet", [connector]), Discover, TimeSpan.FromSeconds(60));
        Assert.True(run.ExitCode == 0, $"discover of the rebuilt connector exited {run.ExitCode}; stderr:\n{ChildProcess.Tail(run.Stderr)}");
        var bindings = run.SingleResponse()["discovered"]!["bindings"]!.AsArray()
            .ToDictionary(b => b!["recommendedName"]!.GetValue<string>(), b => b!.AsObject());

        Assert.True(bindings.ContainsKey(Name), $"discover does not list {Name}; it lists: {string.Join(", ", bindings.Keys)}");
        var binding = bindings[Name];
        AssertJson("""{"stream":"climate_orders","syncMode":"incremental"}""", binding["resourceConfig"], $"{Name}'s resourceConfig");
        AssertJson("""["/id"]""", binding["key"], $"{Name}'s key");
        var schema = binding["documentSchema"]!.AsObject();
        var properties = schema["properties"]!.AsObject();
        Assert.Contains("id", schema["required"]!.AsArray().Select(n => n!.GetValue<string>()));
        AssertJson("""{"type":"string"}""", properties["id"], $"{Name}'s id");
        AssertJson("""{"type":["string","null"]}""", properties["metric_tons"], "Order.MetricTons (a decimal sent as a string)");
        AssertJson("""{"type":["boolean","null"]}""", properties["livemode"], "Order.Livemode (bool)");
        AssertJson("""{"type":["integer","null"]}""", properties["created"], "Order.Created (DateTime, unix seconds)");
        foreach (var fromModel in new[] { "amount_total", "beneficiary", "certificate", "expected_delivery_year" })
        {
            Assert.True(properties.ContainsKey(fromModel), $"{Name}'s schema lacks {fromModel}; it has: {string.Join(", ", properties.Select(p => p.Key))}");
        }

        // The edit adds a stream and changes none of the others.
        Assert.Equal(StreamCatalog.All.Select(s => s.Name).Append(Name).Order(), bindings.Keys.Order());
        foreach (var stream in StreamCatalog.All)
        {
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(stream.DocumentSchema), bindings[stream.Name]["documentSchema"]), $"{stream.Name}'s schema differs from the unedited connector's");
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_copy))
        {
            Directory.Delete(_copy, recursive: true);
        }
    }

    /// <summary>Builds the copied connector (and with it the copied generator); returns its assembly.</summary>
    private async Task<string> BuildAsync()
    {
        // No build server or reused node may outlive the test, or hold the copy's files after it is deleted.
        var build = new ProcessStartInfo("dotnet", ["build", "connector/SourceStripe.Connector.csproj", "--nologo", "-nodeReuse:false", "--disable-build-servers"])
        {
            WorkingDirectory = _copy,
        };
        var clock = Stopwatch.StartNew();
        var run = await ChildProcess.RunAsync(build, "", BuildTimeout);
        output.WriteLine($"built the copy in {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(run.ExitCode == 0, $"dotnet build of the copy with {Name} added failed ({run.ExitCode}):\n{ChildProcess.Tail(run.Stdout)}\n{ChildProcess.Tail(run.Stderr)}");
        var built = Directory.GetFiles(Path.Combine(_copy, "connector", "bin"), "source-stripe.dll", SearchOption.AllDirectories);
        Assert.True(built.Length == 1, $"expected one source-stripe.dll under the copy's connector/bin, found: {string.Join(", ", built)}");
        return built[0];
    }

    private static void CopyBuildInputs(string root, string copy)
    {
        Directory.CreateDirectory(copy);
        foreach (var file in RootFiles)
        {
            File.Copy(Path.Combine(root, file), Path.Combine(copy, file));
        }
        foreach (var folder in ProjectFolders)
        {
            CopyFolder(Path.Combine(root, folder), Path.Combine(copy, folder));
        }
    }

    // The developer's bin/ and obj/ hold the unedited manifest's generated code and are in use by other builds.
    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
        foreach (var folder in Directory.GetDirectories(from).Where(d => Path.GetFileName(d) is not ("bin" or "obj")))
        {
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    private static void AssertJson(string expected, JsonNode? actual, string what) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), actual), $"{what}: expected {expected}, got {actual?.ToJsonString() ?? "nothing"}");
}
