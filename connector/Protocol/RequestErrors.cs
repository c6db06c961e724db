using System.Text;
using System.Text.Json;
using SourceStripe.Config;

namespace SourceStripe.Protocol;

/// <summary>
/// One sentence for each way a request line can be unusable, naming the member at fault and what is
/// expected there in JSON terms (never a .NET type name, never a stack trace).
/// </summary>
public static class RequestErrors
{
    private const string Example = "such as {\"spec\":{}}";

    private const string ConversionPrefix = "The JSON value could not be converted to ";

    /// <summary>The line is not JSON, or a member has the wrong JSON type.</summary>
    public static string Unreadable(string line, JsonException e)
    {
        if (IsConversion(e, out var target))
        {
            var found = TryParse(line, out var root) && Find(root, e.Path) is { } element ? EndpointConfig.Describe(element) : null;
            var field = Field("", e.Path);
            var got = found is null ? "" : $", got {found}";
            return field.Length == 0
                ? $"Could not read the request: expected one JSON object per line, {Example}{got}"
                : $"Could not read the request: {field}: expected {Expected(target)}{got}";
        }

        // Cut: the reader quotes an invalid literal whole, and a line can be megabytes long.
        var detail = EndpointConfig.Cut(FirstSentence(e.Message));
        if (detail.StartsWith("Expected depth to be zero", StringComparison.Ordinal))
        {
            detail = "the line ends before every object and array in it is closed";
        }
        else if (detail.Contains("maximum configured depth", StringComparison.Ordinal))
        {
            return $"Could not read the request: it nests objects and arrays more than {ProtocolJson.MaxDepth} levels deep{At(e.Path)}; expected one JSON object per line, {Example}";
        }
        var position = e.BytePositionInLine is { } bytes ? $", at byte {bytes + 1}" : "";
        return $"Could not read the request: it is not valid JSON ({detail}{position}); expected one JSON object per line, {Example}";
    }

    /// <summary>
    /// A string or member name whose <c>\u</c> escapes make an unpaired UTF-16 surrogate (<c>"\ud800"</c>):
    /// valid JSON syntax, but not text, so no part of the connector can read it. Null when there is none, or
    /// when the line is not JSON at all (the request reader reports that).
    /// </summary>
    public static string? InvalidText(string line)
    {
        if (!line.Contains("\\u", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        var bytes = Encoding.UTF8.GetBytes(line);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = ProtocolJson.MaxDepth });
        var path = new List<(string? Name, int Index, bool InArray)>();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        Advance(path);
                        path.Add((null, -1, reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.RemoveAt(path.Count - 1);
                        break;
                    case JsonTokenType.PropertyName:
                        path[^1] = (null, -1, false);
                        if (!IsText(ref reader, out var name))
                        {
                            return $"Could not read the request: a member name in {Where(path)} escapes an unpaired UTF-16 surrogate (such as \\ud800), which is not text; expected valid Unicode in every name and string";
                        }
                        path[^1] = (name, -1, false);
                        break;
                    case JsonTokenType.String:
                        Advance(path);
                        if (!IsText(ref reader, out _))
                        {
                            return $"Could not read the request: {Where(path)}: expected valid Unicode text, got a string that escapes an unpaired UTF-16 surrogate (such as \\ud800)";
                        }
                        break;
                    default:
                        Advance(path);
                        break;
                }
            }
        }
        catch (JsonException)
        {
            return null;
        }
        return null;

        static void Advance(List<(string? Name, int Index, bool InArray)> path)
        {
            if (path.Count > 0 && path[^1].InArray)
            {
                path[^1] = (null, path[^1].Index + 1, true);
            }
        }

        static string Where(List<(string? Name, int Index, bool InArray)> path)
        {
            var text = new StringBuilder();
            foreach (var (name, index, inArray) in path)
            {
                if (inArray)
                {
                    text.Append('[').Append(index).Append(']');
                }
                else if (name is not null)
                {
                    text.Append(text.Length > 0 ? "." : "").Append(EndpointConfig.Cut(name));
                }
            }
            return text.Length > 0 ? text.ToString() : "the request";
        }
    }

    private static bool IsText(ref Utf8JsonReader reader, out string? text)
    {
        if (!reader.ValueIsEscaped)
        {
            // Unescaped text was checked as UTF-8 when the line was read: only escapes can make a bad surrogate.
            text = reader.TokenType == JsonTokenType.PropertyName ? reader.GetString() : null;
            return true;
        }
        try
        {
            text = reader.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    /// <summary>A JSON object with none of the request members.</summary>
    public static string UnknownRequest(string line)
    {
        var got = "something else";
        if (TryParse(line, out var root) && root.ValueKind == JsonValueKind.Object)
        {
            var members = root.EnumerateObject()
                .Select(p => p.Value.ValueKind == JsonValueKind.Null ? $"{EndpointConfig.Describe(p.Name)}: null" : EndpointConfig.Describe(p.Name))
                .ToList();
            got = members.Count switch
            {
                0 => "an empty object",
                <= 5 => string.Join(", ", members),
                _ => string.Join(", ", members.Take(5)) + $" and {members.Count - 5} more",
            };
        }
        return $"Unknown request: expected one of spec, discover, validate, apply or open as the request's member, with an object as its value, got {got}";
    }

    private static bool IsConversion(JsonException e, out string target)
    {
        target = "";
        if (!e.Message.StartsWith(ConversionPrefix, StringComparison.Ordinal))
        {
            return false;
        }
        var rest = e.Message[ConversionPrefix.Length..];
        var end = rest.IndexOf(". Path:", StringComparison.Ordinal);
        target = end >= 0 ? rest[..end] : rest.TrimEnd('.');
        return true;
    }

    /// <summary>A .NET target type as the JSON a user would write.</summary>
    private static string Expected(string type) =>
        type.Contains("Dictionary`", StringComparison.Ordinal) ? "an object"
        : type.Contains("List`", StringComparison.Ordinal) || type.EndsWith("[]", StringComparison.Ordinal) ? "an array"
        : type.StartsWith("SourceStripe.", StringComparison.Ordinal) ? "an object"
        : type.Contains("System.String", StringComparison.Ordinal) ? "a string"
        : type.Contains("System.Int", StringComparison.Ordinal) || type.Contains("System.UInt", StringComparison.Ordinal) ? "a whole number"
        : type.Contains("System.Double", StringComparison.Ordinal) || type.Contains("System.Decimal", StringComparison.Ordinal) ? "a number"
        : type.Contains("System.Boolean", StringComparison.Ordinal) ? "true or false"
        : "a value of another JSON type";

    /// <summary><c>$.open.capture.bindings[0].stateKey</c> as <c>open.capture.bindings[0].stateKey</c> (after <paramref name="prefix"/>).</summary>
    private static string Field(string prefix, string? path)
    {
        var text = new StringBuilder(prefix);
        foreach (var segment in Segments(path))
        {
            if (segment.Index is { } index)
            {
                text.Append('[').Append(index).Append(']');
            }
            else
            {
                if (text.Length > 0)
                {
                    text.Append('.');
                }
                text.Append(EndpointConfig.Cut(segment.Name!));
            }
        }
        return text.ToString();
    }

    /// <summary>The element at a System.Text.Json path, or null when the path cannot be followed.</summary>
    private static JsonElement? Find(JsonElement root, string? path)
    {
        var current = root;
        foreach (var (name, index) in Segments(path))
        {
            if (index is { } i)
            {
                if (current.ValueKind != JsonValueKind.Array || i >= current.GetArrayLength())
                {
                    return null;
                }
                current = current[i];
            }
            else
            {
                if (current.ValueKind != JsonValueKind.Object)
                {
                    return null;
                }
                // Request members are matched case-insensitively, as the request reader does.
                var match = current.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
                if (match.Value.ValueKind == JsonValueKind.Undefined)
                {
                    return null;
                }
                current = match.Value;
            }
        }
        return current;
    }

    /// <summary>The segments of <c>$.a.b[0]['c.d']</c>: names and array indexes.</summary>
    private static List<(string? Name, int? Index)> Segments(string? path)
    {
        var segments = new List<(string?, int?)>();
        if (path is null || !path.StartsWith('$'))
        {
            return segments;
        }
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                segments.Add((path[(i + 1)..end], null));
                i = end;
            }
            else if (path.AsSpan(i).StartsWith("['"))
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                end = end < 0 ? path.Length : end;
                segments.Add((path[(i + 2)..end], null));
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i + 1);
                end = end < 0 ? path.Length : end;
                if (int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index))
                {
                    segments.Add((null, index));
                }
                i = end + 1;
            }
            else
            {
                break;
            }
        }
        return segments;
    }

    private static bool TryParse(string line, out JsonElement root)
    {
        try
        {
            using var document = JsonDocument.Parse(line, new JsonDocumentOptions { MaxDepth = ProtocolJson.MaxDepth });
            root = document.RootElement.Clone();
            return true;
        }
        catch (JsonException)
        {
            root = default;
            return false;
        }
    }

    private static string At(string? path) => path is { Length: > 1 } ? $" (at {Field("", path)})" : "";

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }
}
