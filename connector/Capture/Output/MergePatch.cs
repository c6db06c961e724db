using System.Text.Json.Nodes;

namespace SourceStripe.Capture.Output;

/// <summary>RFC 7396 JSON merge patch, as the Flow runtime applies checkpoints (the terminal command does the same to its state file).</summary>
public static class MergePatch
{
    public static JsonNode? Apply(JsonNode? target, JsonNode? patch)
    {
        if (patch is not JsonObject patchObject)
        {
            return patch?.DeepClone();
        }
        var result = target is JsonObject t ? (JsonObject)t.DeepClone() : [];
        foreach (var (name, value) in patchObject)
        {
            if (value is null)
            {
                result.Remove(name);
            }
            else
            {
                result[name] = Apply(result[name], value);
            }
        }
        return result;
    }

    /// <summary>Applies <paramref name="patch"/> to <paramref name="target"/> in place, copying only what the patch sets.</summary>
    public static void ApplyInPlace(JsonObject target, JsonObject patch)
    {
        foreach (var (name, value) in patch)
        {
            if (value is null)
            {
                target.Remove(name);
            }
            else if (value is JsonObject inner && target[name] is JsonObject existing)
            {
                ApplyInPlace(existing, inner);
            }
            else
            {
                target[name] = Apply(null, value);
            }
        }
    }
}
