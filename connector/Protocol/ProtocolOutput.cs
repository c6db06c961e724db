using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SourceStripe.Protocol;

/// <summary>
/// The only writer of stdout: whole protocol lines, each batch written under one lock so that no two
/// writes interleave bytes. During a capture only the capture's writer task writes here.
/// </summary>
public sealed class ProtocolOutput(Stream stdout)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly Lock _gate = new();
    private readonly ArrayBufferWriter<byte> _buffer = new(16 * 1024);

    /// <summary>Writes one message built by <paramref name="write"/> (one JSON object) as a line.</summary>
    public void WriteLine(Action<Utf8JsonWriter> write) => Write([], write);

    /// <summary>
    /// Writes <paramref name="lines"/> (complete protocol lines, such as captured documents), then the
    /// message built by <paramref name="message"/>, so that the message follows what it covers.
    /// </summary>
    public void Write(ReadOnlySpan<byte> lines, Action<Utf8JsonWriter>? message, bool flush = true)
    {
        lock (_gate)
        {
            stdout.Write(lines);
            if (message is not null)
            {
                _buffer.ResetWrittenCount();
                using (var json = new Utf8JsonWriter(_buffer, WriterOptions))
                {
                    message(json);
                }
                _buffer.Write("\n"u8);
                stdout.Write(_buffer.WrittenSpan);
            }
            if (flush)
            {
                stdout.Flush();
            }
        }
    }

    public void Flush()
    {
        lock (_gate)
        {
            stdout.Flush();
        }
    }
}
