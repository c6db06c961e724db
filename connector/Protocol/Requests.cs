using System.Text.Json;
using System.Text.Json.Serialization;

namespace SourceStripe.Protocol;

/// <summary>
/// One request line from the Flow runtime: exactly one member is set. Unknown members are ignored, since
/// newer runtimes add fields.
/// </summary>
public sealed class Request
{
    public SpecRequest? Spec { get; set; }
    public DiscoverRequest? Discover { get; set; }
    public ValidateRequest? Validate { get; set; }
    public ApplyRequest? Apply { get; set; }
    public OpenRequest? Open { get; set; }
    public JsonElement? Acknowledge { get; set; }
}

public sealed class SpecRequest
{
    public string? ConnectorType { get; set; }
    public JsonElement? Config { get; set; }
}

public sealed class DiscoverRequest
{
    public string? ConnectorType { get; set; }
    public JsonElement? Config { get; set; }
}

public sealed class ValidateRequest
{
    public string? Name { get; set; }
    public string? ConnectorType { get; set; }
    public JsonElement? Config { get; set; }
    public List<ValidateBinding>? Bindings { get; set; }
}

public sealed class ValidateBinding
{
    public JsonElement? ResourceConfig { get; set; }
    public JsonElement? Collection { get; set; }
    public long Backfill { get; set; }
}

public sealed class ApplyRequest
{
    public CaptureSpec? Capture { get; set; }
    public string? Version { get; set; }
}

public sealed class OpenRequest
{
    public CaptureSpec? Capture { get; set; }
    public string? Version { get; set; }
    public JsonElement? Range { get; set; }
    public JsonElement? State { get; set; }
}

public sealed class CaptureSpec
{
    public string? Name { get; set; }
    public string? ConnectorType { get; set; }
    public JsonElement? Config { get; set; }
    public long IntervalSeconds { get; set; }
    public List<CaptureBinding>? Bindings { get; set; }
}

public sealed class CaptureBinding
{
    public JsonElement? ResourceConfig { get; set; }
    public List<string>? ResourcePath { get; set; }
    public string? StateKey { get; set; }
    public long Backfill { get; set; }
    public JsonElement? Collection { get; set; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    PropertyNameCaseInsensitive = true,
    NumberHandling = JsonNumberHandling.AllowReadingFromString,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = ProtocolJson.MaxDepth)]
[JsonSerializable(typeof(Request))]
internal sealed partial class ProtocolJson : JsonSerializerContext
{
    /// <summary>Collection schemas inside requests nest deeply; the default of 64 could refuse a valid request.</summary>
    public const int MaxDepth = 512;
}
