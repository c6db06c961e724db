using System.Text.Json.Nodes;

namespace SourceStripe.Simulator;

/// <summary>
/// <c>expand[]</c>: replaces id strings with the objects they name, following dotted paths (at most 4 levels), into
/// objects, lists and arrays. Ids of objects the simulator does not hold (payment methods) stay ids.
/// </summary>
internal static class Expansion
{
    public const int MaxLevels = 4;

    /// <summary>The paths of a list request, relative to each listed object (each must start with <c>data.</c>).</summary>
    public static List<string[]> ForList(IEnumerable<string> expand) =>
        [.. expand.Select(e => e.StartsWith("data.", StringComparison.Ordinal) ? Split(e[5..], e) : throw CannotExpand(e))];

    public static List<string[]> ForObject(IEnumerable<string> expand) => [.. expand.Select(e => Split(e, e))];

    public static byte[] Apply(ReadOnlyMemory<byte> json, List<string[]> paths, SimulatorAccount account)
    {
        var root = JsonNode.Parse(json.Span)!.AsObject();
        foreach (var path in paths)
        {
            Expand(root, path, 0, account, string.Join('.', path));
        }
        return JsonOutput.ToUtf8(root);
    }

    private static string[] Split(string path, string original)
    {
        var parts = path.Split('.');
        if (parts.Length > MaxLevels)
        {
            throw new StripeError(400, "invalid_request_error",
                $"You cannot expand more than {MaxLevels} levels of a property. Property: {original}", param: "expand");
        }
        return parts.Any(p => p.Length == 0) ? throw CannotExpand(original) : parts;
    }

    private static void Expand(JsonObject node, string[] path, int i, SimulatorAccount account, string full)
    {
        if (!node.TryGetPropertyValue(path[i], out var value))
        {
            throw CannotExpand(full);
        }
        var last = i == path.Length - 1;
        switch (value)
        {
            case null:
                return;
            case JsonValue text when text.TryGetValue<string>(out var id):
                if (Resolve(id, account, full) is { } expanded)
                {
                    node[path[i]] = expanded;
                    if (!last)
                    {
                        Expand(expanded, path, i + 1, account, full);
                    }
                }
                return;
            case JsonArray array:
                for (var k = 0; k < array.Count; k++)
                {
                    if (array[k] is JsonObject item && !last)
                    {
                        Expand(item, path, i + 1, account, full);
                    }
                    else if (last && array[k] is JsonValue element && element.TryGetValue<string>(out var elementId)
                        && Resolve(elementId, account, full) is { } expandedElement)
                    {
                        array[k] = expandedElement;
                    }
                }
                return;
            case JsonObject inner when !last:
                Expand(inner, path, i + 1, account, full);
                return;
            default:
                throw CannotExpand(full);
        }
    }

    private static JsonObject? Resolve(string id, SimulatorAccount account, string full)
    {
        SimulatedObject? target;
        lock (account.Gate)
        {
            target = account.FindAnywhere(id);
        }
        return target is not null ? target.ToJsonObject()
            : id.Contains('_', StringComparison.Ordinal) ? null : throw CannotExpand(full);
    }

    private static StripeError CannotExpand(string path) =>
        new(400, "invalid_request_error", $"This property cannot be expanded ({path}).", param: "expand");
}
