using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using SourceStripe.Config;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SourceStripe.Cli;

/// <summary>
/// Reads the endpoint config a terminal command is given: JSON, or YAML as users write it in flow.yaml.
/// The file may hold the config itself, a <c>config:</c> block, or a whole flow.yaml whose one
/// source-stripe capture holds it (a config that names another file is read from that file).
/// </summary>
public static partial class ConfigFile
{
    public static JsonElement Read(string path) => Read(path, depth: 0);

    private static JsonElement Read(string path, int depth)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"--config {path}: cannot read the file ({e.Message}); expected a YAML or JSON file holding the endpoint config");
        }
        var root = Parse(path, text);
        var (config, where) = Locate(path, root);
        if (config.ValueKind == JsonValueKind.String && depth == 0)
        {
            // flow.yaml lets a config name the file that holds it, relative to the referring file.
            var referenced = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", config.GetString()!);
            return Read(referenced, depth + 1);
        }
        if (config.ValueKind != JsonValueKind.Object)
        {
            throw new ConfigException($"--config {path}: {where} is {Describe(config)}; expected a mapping of the endpoint config's fields (client_secret, start_date, …)");
        }
        if (config.TryGetProperty("sops", out _))
        {
            throw new ConfigException($"--config {path}: {where} is encrypted with sops; decrypt it first (sops --decrypt {path} > plain.yaml) and pass the plain file");
        }
        return config;
    }

    /// <summary>The endpoint config inside the document, and a phrase naming where it was found.</summary>
    private static (JsonElement Config, string Where) Locate(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (root, "the document");
        }
        if (root.TryGetProperty("captures", out var captures) && captures.ValueKind == JsonValueKind.Object)
        {
            var ours = captures.EnumerateObject()
                .Where(c => ConnectorOf(c.Value) is { } connector && connector.TryGetProperty("image", out var image)
                    && image.ValueKind == JsonValueKind.String && image.GetString()!.Contains("source-stripe", StringComparison.Ordinal))
                .ToList();
            if (ours.Count != 1)
            {
                throw new ConfigException($"--config {path}: the flow.yaml has {ours.Count} captures whose endpoint.connector.image is source-stripe; expected exactly one, or pass that capture's config file");
            }
            var connector = ConnectorOf(ours[0].Value)!.Value;
            return connector.TryGetProperty("config", out var inCapture)
                ? (inCapture, $"captures.{ours[0].Name}.endpoint.connector.config")
                : throw new ConfigException($"--config {path}: captures.{ours[0].Name}.endpoint.connector has no config; expected the endpoint config there");
        }
        if (root.TryGetProperty("config", out var block) && !root.TryGetProperty("client_secret", out _))
        {
            return (block, "config");
        }
        return (root, "the document");
    }

    private static JsonElement? ConnectorOf(JsonElement capture) =>
        capture.ValueKind == JsonValueKind.Object && capture.TryGetProperty("endpoint", out var endpoint) && endpoint.ValueKind == JsonValueKind.Object
            && endpoint.TryGetProperty("connector", out var connector) && connector.ValueKind == JsonValueKind.Object
            ? connector
            : null;

    private static JsonElement Parse(string path, string text)
    {
        if (text.AsSpan().TrimStart().StartsWith("{"))
        {
            try
            {
                using var json = JsonDocument.Parse(text);
                return json.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new ConfigException($"--config {path}: not valid JSON at line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}; expected a JSON object (or YAML)");
            }
        }
        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw new ConfigException($"--config {path}: not valid YAML at line {e.Start.Line}, column {e.Start.Column}: {e.Message}");
        }
        if (yaml.Documents.Count == 0)
        {
            throw new ConfigException($"--config {path}: the file is empty; expected the endpoint config as YAML or JSON");
        }
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            WriteNode(path, yaml.Documents[0].RootNode, writer);
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }

    private static void WriteNode(string path, YamlNode node, Utf8JsonWriter json)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                // The YAML parser has already refused duplicate keys.
                json.WriteStartObject();
                foreach (var (key, value) in mapping.Children)
                {
                    if (key is not YamlScalarNode { Value: { } name })
                    {
                        throw new ConfigException($"--config {path}: line {key.Start.Line}: a key is not a plain string; expected field names as keys");
                    }
                    json.WritePropertyName(name);
                    WriteNode(path, value, json);
                }
                json.WriteEndObject();
                break;
            case YamlSequenceNode sequence:
                json.WriteStartArray();
                foreach (var item in sequence.Children)
                {
                    WriteNode(path, item, json);
                }
                json.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                WriteScalar(scalar, json);
                break;
        }
    }

    /// <summary>YAML 1.2's core schema: plain scalars may be null, booleans or numbers; anything quoted is a string.</summary>
    private static void WriteScalar(YamlScalarNode scalar, Utf8JsonWriter json)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style is not ScalarStyle.Plain || scalar.Tag is { IsEmpty: false, IsNonSpecific: false, Value: "tag:yaml.org,2002:str" })
        {
            json.WriteStringValue(text);
        }
        else if (text is "" or "~" or "null" or "Null" or "NULL")
        {
            json.WriteNullValue();
        }
        else if (text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            json.WriteBooleanValue(text[0] is 't' or 'T');
        }
        else if (IntegerPattern().IsMatch(text) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer))
        {
            json.WriteNumberValue(integer);
        }
        else if (FloatPattern().IsMatch(text) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
        {
            json.WriteNumberValue(number);
        }
        else
        {
            json.WriteStringValue(text);
        }
    }

    private static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "a list",
        JsonValueKind.Null => "empty",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "a string",
    };

    [GeneratedRegex(@"^[-+]?[0-9]+$")]
    private static partial Regex IntegerPattern();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")]
    private static partial Regex FloatPattern();
}
