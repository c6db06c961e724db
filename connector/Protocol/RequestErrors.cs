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
    public const string PerLine = "expected one JSON object per line, such as {\"spec\":{}}";

    /// <summary>Collection schemas inside requests nest deeply; a limit of 64 could refuse a valid request.</summary>
    public const int MaxDepth = 512;

    /// <summary>Parsing options for a line that <see cref="Unreadable"/> passed.</summary>
    public static JsonDocumentOptions DocumentOptions => new() { MaxDepth = MaxDepth };

    /// <summary>
    /// Why <paramref name="line"/> cannot be parsed, from one pass of the JSON reader: not JSON, nested more
    /// than <see cref="MaxDepth"/> levels, or holding a string or member name whose <c>\u</c> escapes make an
    /// unpaired UTF-16 surrogate (<c>"\ud800"</c>: valid JSON syntax, but not text, so no part of the
    /// connector could read it). Null when it parses.
    /// </summary>
    public static string? Unreadable(ReadOnlySpan<byte> line)
    {
        // One level more than allowed, so that going too deep is seen here, with its path, before the reader refuses it.
        var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        var path = new JsonPath();
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        if (reader.CurrentDepth >= MaxDepth)
                        {
                            return $"Could not read the request: it nests objects and arrays more than {MaxDepth} levels deep{path.Member()}; {PerLine}";
                        }
                        path.Open(reader.TokenType == JsonTokenType.StartArray);
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        path.Close();
                        break;
                    case JsonTokenType.PropertyName:
                        path.Name(null);
                        if (!IsText(ref reader, out var name))
                        {
                            return $"Could not read the request: a member name in {path.Text()} escapes an unpaired UTF-16 surrogate (such as \\ud800), which is not text; expected valid Unicode in every name and string";
                        }
                        path.Name(name);
                        break;
                    case JsonTokenType.String:
                        path.Value();
                        if (!IsText(ref reader, out _))
                        {
                            return $"Could not read the request: {path.Text()}: expected valid Unicode text, got a string that escapes an unpaired UTF-16 surrogate (such as \\ud800)";
                        }
                        break;
                    default:
                        path.Value();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            return NotJson(e, path.IsInside, line.Length);
        }
        return null;
    }

    /// <summary>
    /// The reader's syntax error, at the byte it points to. Its own first sentence says what is wrong, except at
    /// the end of a line that leaves an object or array open, which it reports only in terms of depth.
    /// </summary>
    private static string NotJson(JsonException e, bool inside, int length)
    {
        var position = e.BytePositionInLine ?? length;
        // Cut: the reader quotes an invalid literal whole, and a line can be megabytes long.
        var detail = inside && position >= length
            ? "the line ends before every object and array in it is closed"
            : EndpointConfig.Cut(FirstSentence(e.Message));
        return $"Could not read the request: it is not valid JSON ({detail}, at byte {position + 1}); {PerLine}";
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
    public static string UnknownRequest(JsonElement root)
    {
        var got = "something else";
        if (root.ValueKind == JsonValueKind.Object)
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

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).TrimEnd('.');
    }

    /// <summary>Where the reader is in the line, as <c>open.capture.bindings[0].stateKey</c>.</summary>
    private sealed class JsonPath
    {
        private readonly List<(string? Name, int Index, bool InArray)> _levels = [];

        public bool IsInside => _levels.Count > 0;

        public void Open(bool array)
        {
            Value();
            _levels.Add((null, -1, array));
        }

        public void Close() => _levels.RemoveAt(_levels.Count - 1);

        public void Name(string? name) => _levels[^1] = (name, -1, false);

        /// <summary>A value starts: in an array, the next index.</summary>
        public void Value()
        {
            if (_levels.Count > 0 && _levels[^1].InArray)
            {
                _levels[^1] = (null, _levels[^1].Index + 1, true);
            }
        }

        public string Text() => Render(_levels.Count) is { Length: > 0 } text ? text : "the request";

        /// <summary><c> (at spec.deep)</c>: the innermost member, leaving out the array indexes within its value; empty at the top.</summary>
        public string Member()
        {
            var named = _levels.FindLastIndex(l => l.Name is not null);
            return named < 0 ? "" : $" (at {EndpointConfig.Cut(Render(named + 1))})";
        }

        private string Render(int levels)
        {
            var text = new StringBuilder();
            foreach (var (name, index, inArray) in _levels.Take(levels))
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
            return text.ToString();
        }
    }
}
