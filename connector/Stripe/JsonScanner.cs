using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace SourceStripe.Stripe;

/// <summary>
/// One forward pass over a Stripe response. Only the members the capture reads are looked at token by
/// token; every other object or array, and the rest of a listed object once its id and cursor are read, is
/// stepped over 64 bytes at a time (JsonScanner.Blocks.cs), so the cost per byte stays near a memory scan
/// whether Stripe indents its answers or not. It checks what a truncated or garbled body breaks (brackets that
/// match, strings that end, nothing after the end, and members and elements separated as JSON separates them
/// where it reads token by token) without validating every number of the values it skips.
/// </summary>
public ref partial struct JsonScanner(ReadOnlySpan<byte> json, string what)
{
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);
    private static readonly SearchValues<byte> StringEnd = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> ScalarEnd = SearchValues.Create(",}] \t\r\n"u8);
    private static readonly SearchValues<byte> ScalarStart = SearchValues.Create("-0123456789tfn"u8);

    private const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _json = json;
    private int _position;

    /// <summary>Where the next token starts (after <see cref="Peek"/>) or the last value ended.</summary>
    public readonly int Position => _position;

    /// <summary>Skips whitespace and returns the next byte without consuming it.</summary>
    public byte Peek()
    {
        // Most tokens follow no whitespace or one space ("key": value); indentation takes the search.
        if (_position < _json.Length && _json[_position] > (byte)' ')
        {
            return _json[_position];
        }
        if (_position + 1 < _json.Length && _json[_position] == (byte)' ' && _json[_position + 1] > (byte)' ')
        {
            return _json[++_position];
        }
        var skip = _json[_position..].IndexOfAnyExcept(Whitespace);
        if (skip < 0)
        {
            throw Truncated();
        }
        _position += skip;
        return _json[_position];
    }

    /// <summary>Consumes <paramref name="token"/> (after whitespace) or fails.</summary>
    public void Expect(byte token)
    {
        if (Peek() != token)
        {
            throw Malformed($"expected '{(char)token}'");
        }
        _position++;
    }

    /// <summary>
    /// Moves to the next member of the object being read (its '{' consumed): false, with the '}' consumed,
    /// when there is none. <paramref name="started"/> is the caller's: false before the first member.
    /// </summary>
    public bool NextMember(ref bool started, out ReadOnlySpan<byte> name)
    {
        name = default;
        if (!Next(ref started, (byte)'}'))
        {
            return false;
        }
        if (Peek() != (byte)'"')
        {
            throw Malformed("expected a member name");
        }
        name = RawString();
        Expect((byte)':');
        Peek();
        return true;
    }

    /// <summary>Moves to the next element of the array being read (its '[' consumed), like <see cref="NextMember"/>.</summary>
    public bool NextElement(ref bool started) => Next(ref started, (byte)']');

    private bool Next(ref bool started, byte close)
    {
        var next = Peek();
        if (next == close)
        {
            _position++;
            return false;
        }
        if (started)
        {
            if (next != (byte)',')
            {
                throw Malformed($"expected ',' or '{(char)close}'");
            }
            _position++;
            if (Peek() == close)
            {
                throw Malformed("a trailing comma");
            }
        }
        started = true;
        return true;
    }

    /// <summary>Reads a string value (null for JSON null); any other value is skipped and gives null.</summary>
    public string? ReadString()
    {
        if (Peek() != (byte)'"')
        {
            SkipValue();
            return null;
        }
        var raw = RawString();
        if (raw.IndexOf((byte)'\\') < 0)
        {
            return Encoding.UTF8.GetString(raw);
        }
        // Escapes are rare in the fields read here: let the framework decode them.
        var quoted = _json[(_position - raw.Length - 2).._position];
        try
        {
            var reader = new Utf8JsonReader(quoted);
            reader.Read();
            return reader.GetString();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw Malformed($"a string that does not decode ({e.Message})");
        }
    }

    /// <summary>Reads an integer value; any other value is skipped and gives null.</summary>
    public long? ReadInt64()
    {
        var (start, end) = SkipValue();
        return Utf8Parser.TryParse(_json[start..end], out long value, out var used) && used == end - start ? value : null;
    }

    /// <summary>Reads true or false; any other value is skipped and gives null.</summary>
    public bool? ReadBoolean()
    {
        var (start, end) = SkipValue();
        var token = _json[start..end];
        return token.SequenceEqual("true"u8) ? true : token.SequenceEqual("false"u8) ? false : null;
    }

    /// <summary>Steps over the value that starts here; returns where it starts and ends.</summary>
    public (int Start, int End) SkipValue()
    {
        var start = _position;
        switch (Peek())
        {
            case (byte)'{' or (byte)'[':
                SkipContainer();
                break;
            case (byte)'"':
                RawString();
                break;
            case var first when ScalarStart.Contains(first):
                var length = _json[_position..].IndexOfAny(ScalarEnd);
                _position += length < 0 ? throw Truncated() : length;
                break;
            default:
                throw Malformed("expected a value");
        }
        return (start, _position);
    }

    /// <summary>Nothing but whitespace may follow the document.</summary>
    public readonly void ExpectEnd()
    {
        if (_json[_position..].IndexOfAnyExcept(Whitespace) >= 0)
        {
            throw Malformed("data after the end of the document");
        }
    }

    /// <summary>Consumes a string (on its opening quote) and returns its raw content, escapes undecoded.</summary>
    private ReadOnlySpan<byte> RawString()
    {
        var start = ++_position;
        while (true)
        {
            var next = _json[_position..].IndexOfAny(StringEnd);
            if (next < 0)
            {
                throw Truncated();
            }
            _position += next;
            if (_json[_position] == (byte)'"')
            {
                _position++;
                return _json[start..(_position - 1)];
            }
            // A backslash escapes the next byte, a quote included.
            _position += 2;
            if (_position > _json.Length)
            {
                throw Truncated();
            }
        }
    }

    private readonly StripeResponseException Truncated() => new($"{what} ended early (truncated after {_json.Length} bytes)");

    private readonly StripeResponseException Malformed(string detail) => new($"{what} is not valid JSON: {detail} at byte {_position}");
}
