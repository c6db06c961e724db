using System.Buffers;
using System.Buffers.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SourceStripe.Capture;

/// <summary>
/// Writes <c>captured</c> lines straight from Stripe's bytes: the object is copied with insignificant
/// whitespace removed (Stripe pretty-prints; a protocol message is one line) and the connector's own
/// fields spliced in before its closing brace. Values are never decoded or re-encoded.
/// </summary>
public static class DocumentLines
{
    private static readonly SearchValues<byte> OutsideString = SearchValues.Create(" \t\r\n\""u8);
    private static readonly SearchValues<byte> InsideString = SearchValues.Create("\"\\"u8);

    /// <summary>Appends <c>{"captured":{"binding":N,"doc":…}}</c> and a newline.</summary>
    public static void WriteCaptured(IBufferWriter<byte> output, int binding, ReadOnlySpan<byte> document, ReadOnlySpan<byte> addedMembers)
    {
        Write(output, "{\"captured\":{\"binding\":"u8);
        var digits = output.GetSpan(11);
        Utf8Formatter.TryFormat(binding, digits, out var written);
        output.Advance(written);
        Write(output, ",\"doc\":"u8);
        WriteDocument(output, document, addedMembers);
        Write(output, "}}\n"u8);
    }

    /// <summary>
    /// Copies a JSON object without whitespace between tokens, adding <paramref name="addedMembers"/>
    /// (already-encoded <c>"name":value</c> pairs, comma separated) as its last members.
    /// </summary>
    public static void WriteDocument(IBufferWriter<byte> output, ReadOnlySpan<byte> document, ReadOnlySpan<byte> addedMembers)
    {
        var close = document.LastIndexOf((byte)'}');
        if (close < 0)
        {
            throw new FormatException("a document is not a JSON object");
        }
        Minify(output, document[..close]);
        if (!addedMembers.IsEmpty)
        {
            var open = document.IndexOf((byte)'{');
            var empty = document[(open + 1)..close].Trim(" \t\r\n"u8).IsEmpty;
            if (!empty)
            {
                Write(output, ","u8);
            }
            Write(output, addedMembers);
        }
        Write(output, "}"u8);
    }

    /// <summary>Encodes <c>"name":"value"</c> for splicing into a document.</summary>
    public static byte[] StringMember(string name, string value)
    {
        var buffer = new ArrayBufferWriter<byte>(name.Length + value.Length + 8);
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true }))
        {
            json.WriteStartObject();
            json.WriteString(name, value);
            json.WriteEndObject();
        }
        return buffer.WrittenSpan[1..^1].ToArray();
    }

    private static void Minify(IBufferWriter<byte> output, ReadOnlySpan<byte> json)
    {
        while (!json.IsEmpty)
        {
            var next = json.IndexOfAny(OutsideString);
            if (next < 0)
            {
                Write(output, json);
                return;
            }
            Write(output, json[..next]);
            if (json[next] != (byte)'"')
            {
                json = json[(next + 1)..];
                continue;
            }
            // A string: copy it whole, quotes and escapes included.
            var end = next + 1;
            while (true)
            {
                var special = json[end..].IndexOfAny(InsideString);
                if (special < 0)
                {
                    throw new FormatException("a document has an unterminated string");
                }
                end += special;
                if (json[end] == (byte)'\\')
                {
                    end += 2;
                    continue;
                }
                end++;
                break;
            }
            Write(output, json[next..end]);
            json = json[end..];
        }
    }

    private static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
