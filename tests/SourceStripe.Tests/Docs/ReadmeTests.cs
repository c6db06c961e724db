using System.Text.Json.Nodes;
using SourceStripe.Cli;
using SourceStripe.Config;
using SourceStripe.Streams;
using SourceStripe.Tests.EndToEnd;
using YamlDotNet.RepresentationModel;

namespace SourceStripe.Tests.Docs;

/// <summary>The README's reference tables and samples are checked against the binary's spec and the stream catalog.</summary>
public sealed class ReadmeTests
{
    private static readonly string Readme = MarkedText.Read("README.md");

    /// <summary>The README is a data engineer's guide; architecture, the state and the performance record live in docs/.</summary>
    [Fact]
    public void Readme_stays_short()
    {
        var lines = Readme.Split('\n').Length - (Readme.EndsWith('\n') ? 1 : 0);
        Assert.True(lines <= 450, $"README.md is {lines} lines: what a maintainer needs belongs in docs/, not in the README (at most 450)");
    }

    [Fact]
    public void Streams_table_matches_the_catalog()
    {
        var rows = MarkedText.TableRows(Readme, "streams-table");
        Assert.Equal(StreamCatalog.All.Select(s => s.Name), rows.Select(r => r[0]));
        foreach (var row in rows)
        {
            var stream = StreamCatalog.Find(row[0])!;
            var query = string.Join("&", stream.Query.Select(q => $"{q.Key}={q.Value}"));
            Assert.Equal($"`{stream.Path}{(query.Length > 0 ? "?" + query : "")}`", row[1]);
            Assert.Equal($"`{stream.Model}`", row[2]);
            Assert.Equal(ResourceConfig.SyncModeName(stream.DefaultSyncMode), row[3]);
            var others = string.Join(", ", stream.SyncModes.Skip(1).Select(ResourceConfig.SyncModeName));
            Assert.Equal(others.Length > 0 ? others : "–", row[4]);
            Assert.Equal(stream.CursorField ?? (stream.Parent is null ? "–" : "parent's"), row[5]);
            Assert.Equal(stream.Parent?.Stream ?? "–", row[6]);
            Assert.Equal(stream.Parent is { } p ? $"`{p.IdField}`" : "–", row[7]);
            Assert.Equal(Changes(stream), row[8]);
            Assert.Equal(stream.Needs is null, row[9] == "–");
        }
    }

    /// <summary>Where a stream's changes come from, as the README's streams table says it.</summary>
    private static string Changes(StreamDescriptor stream) => stream.Parent switch
    {
        { Relist: false } => "own events",
        { } parent when StreamCatalog.Find(parent.Stream)!.Events.IsEmpty => "full refresh",
        { } => stream.Events.IsEmpty ? "re-listed on parent's events" : "re-listed on its own and parent's events",
        null when !stream.Events.IsEmpty => "events",
        null => stream.HasCreatedFilter && stream.DefaultSyncMode == SyncMode.Incremental ? "new objects by polling" : "full refresh",
    };

    [Fact]
    public async Task Config_tables_match_the_published_binarys_spec()
    {
        var spec = (await PublishedConnector.RunAsync("{\"spec\":{}}\n")).SingleResponse()["spec"]!;
        AssertTableMatches("config-table", spec["configSchema"]!);
        AssertTableMatches("resource-config-table", spec["resourceConfigSchema"]!);
    }

    /// <summary>The table's rows are the schema's (flattened) properties, each marked required as the schema says.</summary>
    private static void AssertTableMatches(string marker, JsonNode schema)
    {
        var fromSpec = new List<string>();
        Flatten(schema, "", fromSpec);
        var rows = MarkedText.TableRows(Readme, marker);
        Assert.Equal(fromSpec.Order(), rows.Select(r => r[0].Trim('`')).Order());

        var required = schema["required"]!.AsArray().Select(n => n!.GetValue<string>()).ToHashSet();
        foreach (var row in rows)
        {
            Assert.Equal(required.Contains(row[0].Trim('`')) ? "yes" : "no", row[2]);
        }
    }

    [Fact]
    public void Flow_sample_binds_every_stream_in_its_default_mode_and_its_config_reads()
    {
        var path = Path.Combine(PublishedConnector.RepositoryRoot, "docs", "flow.yaml");
        // The terminal commands read this very file: the capture's config is found in it.
        Assert.Equal("acct_1032D82eZvKYlo2C", ConfigFile.Read(path).GetProperty("account_id").GetString());
        var bindings = Bindings(File.ReadAllText(path));
        Assert.Equal(StreamCatalog.All.Select(s => s.Name), bindings.Select(StreamOf));
        foreach (var (binding, descriptor) in bindings.Zip(StreamCatalog.All))
        {
            Assert.Equal(ResourceConfig.SyncModeName(descriptor.DefaultSyncMode), ((YamlScalarNode)((YamlMappingNode)binding["resource"])["syncMode"]).Value);
            Assert.Equal($"acmeCo/stripe/{descriptor.Name}", ((YamlScalarNode)binding["target"]).Value);
            // As discover recommends: a stream not every account can read is bound disabled.
            Assert.Equal(descriptor.Needs is not null, binding.Children.ContainsKey("disable"));
        }
    }

    /// <summary>The README shows a few of docs/flow.yaml's bindings: the same ones, in the same order, and a config that reads.</summary>
    [Fact]
    public void Readme_catalog_sample_is_part_of_the_flow_sample()
    {
        var yaml = MarkedText.CodeBlock(Readme, "catalog-sample");
        var path = Path.Combine(Path.GetTempPath(), $"readme-flow-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, yaml);
        try
        {
            Assert.Equal("acct_1032D82eZvKYlo2C", ConfigFile.Read(path).GetProperty("account_id").GetString());
        }
        finally
        {
            File.Delete(path);
        }
        var full = Bindings(MarkedText.Read(Path.Combine("docs", "flow.yaml"))).ToDictionary(StreamOf);
        var shown = Bindings(yaml);
        Assert.NotEmpty(shown);
        var order = StreamCatalog.All.Select(s => s.Name).ToList();
        Assert.Equal(shown.Select(StreamOf).OrderBy(order.IndexOf), shown.Select(StreamOf));
        foreach (var binding in shown)
        {
            Assert.Equal(Describe(full[StreamOf(binding)]), Describe(binding));
        }
    }

    private static List<YamlMappingNode> Bindings(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var capture = (YamlMappingNode)((YamlMappingNode)((YamlMappingNode)stream.Documents[0].RootNode)["captures"]).Children.Single().Value;
        return [.. ((YamlSequenceNode)capture["bindings"]).Cast<YamlMappingNode>()];
    }

    /// <summary>A node's content, whatever its YAML style: scalars as they are, mappings as their sorted pairs.</summary>
    private static string Describe(YamlNode node) => node switch
    {
        YamlMappingNode mapping => "{" + string.Join(", ", mapping.Children.Select(p => $"{Describe(p.Key)}: {Describe(p.Value)}").Order()) + "}",
        YamlSequenceNode sequence => "[" + string.Join(", ", sequence.Children.Select(Describe)) + "]",
        YamlScalarNode scalar => scalar.Value ?? "",
        _ => node.ToString(),
    };

    private static string StreamOf(YamlMappingNode binding) => ((YamlScalarNode)((YamlMappingNode)binding["resource"])["stream"]).Value!;

    [Fact]
    public void Quick_start_is_two_commands_and_ci_runs_both_as_written()
    {
        var commands = MarkedText.CodeBlock(Readme, "quick-start").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, commands.Length);
        Assert.Contains("capture --demo", commands[0]);
        Assert.Equal("dotnet test SourceStripe.sln", commands[1]);
        var ci = File.ReadAllText(Path.Combine(PublishedConnector.RepositoryRoot, ".ci", "run"));
        Assert.Contains(commands[0], ci);
        Assert.Contains(commands[1], ci);
    }

    private static void Flatten(JsonNode schema, string prefix, List<string> fields)
    {
        foreach (var (name, property) in schema["properties"]!.AsObject())
        {
            if (property!["properties"] is { } nested)
            {
                Flatten(property, prefix + name + ".", fields);
            }
            else
            {
                fields.Add(prefix + name);
            }
        }
    }
}
