using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SourceStripe.Protocol;

/// <summary>
/// The only writer of stdout: whole protocol lines, each written under one lock so concurrent producers
/// can never interleave bytes.
/// </summary>
public sealed class ProtocolOutput(Stream stdout)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);

    /// <summary>The underlying stream, handed to the capture's own ordered writer after <c>open</c>.</summary>
    public Stream Stream => stdout;

    /// <summary>Writes one message built by <paramref name="write"/> (which writes one JSON object) and flushes.</summary>
    public void WriteLine(Action<Utf8JsonWriter> write)
    {
        lock (_gate)
        {
            _buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(_buffer, WriterOptions))
            {
                write(json);
            }
            _buffer.Write("\n"u8);
            stdout.Write(_buffer.WrittenSpan);
            stdout.Flush();
        }
    }
}
