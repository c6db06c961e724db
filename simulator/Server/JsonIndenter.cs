using System.Buffers;

namespace SourceStripe.Simulator.Server;

/// <summary>
/// Stripe's pretty-printing of a JSON answer: two spaces a level, a newline after every member and array item,
/// <c>"key": value</c>, <c>[]</c> and <c>{}</c> when empty, and a newline at the end. The whole body is indented in one
/// pass, so objects nested in a page's <c>data</c> or an event's <c>data.object</c> sit at their depth in it.
/// </summary>
/// <remarks>A byte scan rather than a Utf8JsonReader → Utf8JsonWriter copy: strings and numbers are copied as they
/// are (no unescaping and re-escaping, no number reformatting), so the objects in the answer are byte for byte the
/// account's apart from whitespace, and only the structural bytes are looked at. The input is JSON the simulator
/// wrote; whitespace between its tokens is replaced by the indentation.</remarks>
internal static class JsonIndenter
{
    private static readonly SearchValues<byte> Structural = SearchValues.Create("\"{}[],: \t\r\n"u8);
    private static readonly SearchValues<byte> StringSpecial = SearchValues.Create("\"\\"u8);

    public static void Indent(ReadOnlySpan<byte> json, PooledBuffer output)
    {
        var depth = 0;
        var i = 0;
        while (i < json.Length)
        {
            var at = json[i..].IndexOfAny(Structural);
            var token = at < 0 ? json.Length : i + at;
            var c = at < 0 ? (byte)0 : json[token];
            // The token runs to the structural byte, or past the string that byte opens.
            var end = c == '"' ? StringEnd(json, token + 1) : token;
            // Room for the token and what the structural byte writes: itself, a space or a newline and indentation.
            var span = output.Reserve(end - i + 3 + (2 * (Math.Max(depth, 0) + 1)));
            json[i..end].CopyTo(span);
            var n = end - i;
            i = end;
            switch (c)
            {
                case (byte)'{' or (byte)'[':
                    var close = c == '{' ? (byte)'}' : (byte)']';
                    var next = SkipWhitespace(json, i + 1);
                    span[n++] = c;
                    if (next < json.Length && json[next] == close)
                    {
                        span[n++] = close;
                        i = next;
                    }
                    else
                    {
                        n = NewLine(span, n, ++depth);
                    }
                    break;
                case (byte)'}' or (byte)']':
                    n = NewLine(span, n, --depth);
                    span[n++] = c;
                    break;
                case (byte)',':
                    span[n++] = c;
                    n = NewLine(span, n, depth);
                    break;
                case (byte)':':
                    span[n++] = c;
                    span[n++] = (byte)' ';
                    break;
                case (byte)'"':
                    // The string was copied with the token: the scan goes on after it.
                    output.Advance(n);
                    continue;
            }
            output.Advance(n);
            i++;
        }
        output.Write("\n"u8);
    }

    /// <summary>The index just past the string whose content starts at <paramref name="i"/> (the input's end if it
    /// is cut, as a malformed body may be).</summary>
    private static int StringEnd(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length)
        {
            var at = json[i..].IndexOfAny(StringSpecial);
            if (at < 0)
            {
                break;
            }
            if (json[i + at] == '"')
            {
                return i + at + 1;
            }
            // A backslash escapes the next byte, which may be a quote.
            i += at + 2;
        }
        return json.Length;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }
        return i;
    }

    private static int NewLine(Span<byte> span, int n, int depth)
    {
        span[n++] = (byte)'\n';
        var width = 2 * Math.Max(depth, 0);
        span.Slice(n, width).Fill((byte)' ');
        return n + width;
    }
}
