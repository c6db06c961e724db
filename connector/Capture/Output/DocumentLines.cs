using System.Buffers;
using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SourceStripe.Capture.Output;

/// <summary>
/// Writes <c>captured</c> lines straight from Stripe's bytes: the object is copied once, its line breaks
/// made spaces (Stripe pretty-prints; a protocol message is one line), and the connector's own fields
/// spliced in before its closing brace. Values are never decoded or re-encoded.
/// </summary>
public static class DocumentLines
{
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
    /// Copies a JSON object as Stripe sent it, its line breaks turned into spaces (JSON allows them only
    /// as whitespace between tokens, so the line stays valid JSON and means the same), and adds
    /// <paramref name="addedMembers"/> (already-encoded <c>"name":value</c> pairs, comma separated) as its
    /// last members. One vectorized copy that blanks line breaks as it goes: no byte-by-byte re-minifying.
    /// </summary>
    public static void WriteDocument(IBufferWriter<byte> output, ReadOnlySpan<byte> document, ReadOnlySpan<byte> addedMembers)
    {
        var close = document.LastIndexOf((byte)'}');
        if (close < 0)
        {
            throw new FormatException("a document is not a JSON object");
        }
        var body = document[..close];
        CopyOnOneLine(body, output.GetSpan(body.Length));
        output.Advance(body.Length);
        if (!addedMembers.IsEmpty)
        {
            var open = document.IndexOf((byte)'{');
            if (!body[(open + 1)..].Trim(" \t\r\n"u8).IsEmpty)
            {
                Write(output, ","u8);
            }
            Write(output, addedMembers);
        }
        Write(output, "}"u8);
    }

    /// <summary>
    /// Copies <paramref name="source"/> into <paramref name="destination"/> with each '\n' and '\r' made a
    /// space, in one pass of 256-bit vectors (the binary is built for AVX2): Stripe's indented objects hold a
    /// line break every few dozen bytes, so a copy followed by two replaces would go over each byte three times.
    /// </summary>
    public static void CopyOnOneLine(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        destination = destination[..source.Length];
        ref var from = ref MemoryMarshal.GetReference(source);
        ref var to = ref MemoryMarshal.GetReference(destination);
        var length = (nuint)source.Length;
        nuint i = 0;
        for (; i + (nuint)Vector256<byte>.Count <= length; i += (nuint)Vector256<byte>.Count)
        {
            var v = Vector256.LoadUnsafe(ref from, i);
            var breaks = Vector256.Equals(v, Vector256.Create((byte)'\n')) | Vector256.Equals(v, Vector256.Create((byte)'\r'));
            Vector256.ConditionalSelect(breaks, Vector256.Create((byte)' '), v).StoreUnsafe(ref to, i);
        }
        for (; i < length; i++)
        {
            var b = Unsafe.Add(ref from, i);
            Unsafe.Add(ref to, i) = b is (byte)'\n' or (byte)'\r' ? (byte)' ' : b;
        }
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

    /// <summary>Joins encoded members with commas, leaving out empty ones.</summary>
    public static byte[] Join(params ReadOnlySpan<byte[]> members)
    {
        var joined = new List<byte>();
        foreach (var member in members)
        {
            if (member.Length == 0)
            {
                continue;
            }
            if (joined.Count > 0)
            {
                joined.Add((byte)',');
            }
            joined.AddRange(member);
        }
        return [.. joined];
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
