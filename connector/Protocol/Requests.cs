using System.Text.Json;

namespace SourceStripe.Protocol;

/// <summary>
/// One request line from the Flow runtime (<see cref="RequestReader"/> reads it): exactly one member is set.
/// Unknown members are ignored, since newer runtimes add fields.
/// </summary>
public sealed record Request(SpecRequest? Spec, DiscoverRequest? Discover, ValidateRequest? Validate, ApplyRequest? Apply, OpenRequest? Open);

public sealed record SpecRequest;

public sealed record DiscoverRequest(JsonElement? Config);

public sealed record ValidateRequest(JsonElement? Config, List<ValidateBinding>? Bindings);

public sealed record ValidateBinding(JsonElement? ResourceConfig, JsonElement? Collection);

public sealed record ApplyRequest(FlowCaptureSpec? Capture);

public sealed record OpenRequest(FlowCaptureSpec? Capture, JsonElement? Range, JsonElement? State);

/// <summary>The capture specification as Flow sends it in <c>apply</c> and <c>open</c>.</summary>
public sealed record FlowCaptureSpec(JsonElement? Config, List<CaptureBinding>? Bindings);

public sealed record CaptureBinding(JsonElement? ResourceConfig, string? StateKey, long Backfill);
