using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace SourceStripe.Logging;

public enum LogLevel
{
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// <summary>
/// Flow's JSON log lines on stderr (stdout is reserved for protocol messages). The last line before a
/// non-zero exit is the error Flow shows the user, so callers end a failure with one plain sentence.
/// </summary>
public static class Log
{
    private static readonly Lock Gate = new();
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly Stream Stderr = Console.OpenStandardError();
    private static ILiveArea? _above;

    public static LogLevel MinimumLevel { get; set; } = LogLevel.Info;

    /// <summary>Lines for a person at a terminal (<c>warn: message (key=value)</c>) instead of Flow's JSON.</summary>
    public static bool ForTerminal { get; set; }

    /// <summary>
    /// Until the result is disposed, log lines go through <paramref name="area"/>, which prints them above what it
    /// keeps redrawn in place: written straight to stderr they would land in the middle of it.
    /// </summary>
    public static IDisposable Above(ILiveArea area)
    {
        lock (Gate)
        {
            _above = area;
        }
        return new Detach(area);
    }

    private sealed class Detach(ILiveArea area) : IDisposable
    {
        public void Dispose()
        {
            lock (Gate)
            {
                if (_above == area)
                {
                    _above = null;
                }
            }
        }
    }

    public static bool TryParseLevel(string text, out LogLevel level)
    {
        switch (text.Trim().ToLowerInvariant())
        {
            case "trace": level = LogLevel.Trace; return true;
            case "debug": level = LogLevel.Debug; return true;
            case "info": level = LogLevel.Info; return true;
            case "warn" or "warning": level = LogLevel.Warn; return true;
            case "error": level = LogLevel.Error; return true;
            default: level = LogLevel.Info; return false;
        }
    }

    public static void Debug(string message, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Debug, message, fields);

    public static void Info(string message, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Info, message, fields);

    public static void Warn(string message, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Warn, message, fields);

    public static void Error(string message, params ReadOnlySpan<(string Key, object? Value)> fields) => Write(LogLevel.Error, message, fields);

    /// <summary>A <c>connectorStatus</c> line: the status Flow shows the user.</summary>
    public static void Status(string message) => Write(LogLevel.Info, message, [], connectorStatus: true);

    public static void Write(LogLevel level, string message, ReadOnlySpan<(string Key, object? Value)> fields, bool connectorStatus = false)
    {
        if (level < MinimumLevel)
        {
            return;
        }
        if (ForTerminal)
        {
            var text = new System.Text.StringBuilder(LevelName(level)).Append(": ").Append(message);
            for (var i = 0; i < fields.Length; i++)
            {
                text.Append(i == 0 ? " (" : ", ").Append(fields[i].Key).Append('=').Append(TerminalValue(fields[i].Value)).Append(i == fields.Length - 1 ? ")" : "");
            }
            Line(text.ToString());
            return;
        }
        var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("ts", DateTimeOffset.UtcNow.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
            json.WriteString("level", LevelName(level));
            json.WriteString("msg", message);
            if (connectorStatus)
            {
                json.WriteString("eventType", "connectorStatus");
            }
            if (fields.Length > 0)
            {
                json.WriteStartObject("fields");
                foreach (var (key, value) in fields)
                {
                    WriteValue(json, key, value);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        Emit(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Writes a line of text as it is: the terminal command's progress and summary.</summary>
    public static void Line(string text)
    {
        Emit(System.Text.Encoding.UTF8.GetBytes(text + "\n"));
    }

    /// <summary>Writes one line (with its newline) to stderr, or above the live area while there is one.</summary>
    private static void Emit(ReadOnlySpan<byte> line)
    {
        lock (Gate)
        {
            if (_above is { } area)
            {
                area.WriteAbove(System.Text.Encoding.UTF8.GetString(line[..^1]));
                return;
            }
            Stderr.Write(line);
            Stderr.Flush();
        }
    }

    private static string? TerminalValue(object? value) => value switch
    {
        TimeSpan t => Math.Round(t.TotalSeconds, 3).ToString(CultureInfo.InvariantCulture) + "s",
        DateTimeOffset d => d.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture),
    };

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null: json.WriteNull(key); break;
            case string s: json.WriteString(key, s); break;
            case bool b: json.WriteBoolean(key, b); break;
            case int i: json.WriteNumber(key, i); break;
            case long l: json.WriteNumber(key, l); break;
            case double d: json.WriteNumber(key, d); break;
            case TimeSpan t: json.WriteNumber(key, Math.Round(t.TotalSeconds, 3)); break;
            case DateTimeOffset d: json.WriteString(key, d.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)); break;
            default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Trace => "trace",
        LogLevel.Debug => "debug",
        LogLevel.Info => "info",
        LogLevel.Warn => "warn",
        _ => "error",
    };
}
