using System.Buffers;
using System.Buffers.Text;
using System.Numerics;
using System.Runtime.Intrinsics;
using System.Text;
using System.Text.Json;

namespace SourceStripe.Stripe;

/// <summary>
/// One forward pass over a Stripe response. Only the members the capture reads are looked at token by
/// token; every other value is stepped over with vectorized searches for quotes and brackets, so the cost
/// per byte stays near a memory scan whether Stripe indents its answers or not. It checks what a truncated
/// or garbled body breaks (brackets that match, strings that end, members and elements separated as JSON
/// separates them, nothing after the end) without validating every number of the values it skips.
/// </summary>
public ref struct JsonScanner(ReadOnlySpan<byte> json, string what)
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
        catch (JsonException e)
        {
            throw Malformed($"a string that does not decode ({e.Message})");
        }
        catch (InvalidOperationException e)
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

    /// <summary>
    /// Steps over an object or array 64 bytes at a time: each block is classified with vector compares into
    /// bit masks of quotes, backslashes and brackets; the bits between quotes (a prefix XOR of the unescaped
    /// quotes, carried from block to block) are inside strings, and only the brackets outside them are
    /// visited one by one, to match them. Most blocks of a Stripe object hold no bracket at all.
    /// </summary>
    private void SkipContainer()
    {
        // One bit per open bracket: 1 for '{', 0 for '['.
        ulong open = 0;
        var depth = 0;
        ulong inString = 0;
        var escapeFirst = false;
        Span<byte> tail = stackalloc byte[BlockBytes];
        for (var block = _position; block < _json.Length; block += BlockBytes)
        {
            scoped ReadOnlySpan<byte> bytes;
            if (block + BlockBytes <= _json.Length)
            {
                bytes = _json.Slice(block, BlockBytes);
            }
            else
            {
                // The last, short block: padded with spaces, which are neither quotes nor brackets.
                tail.Fill((byte)' ');
                _json[block..].CopyTo(tail);
                bytes = tail;
            }
            var (quotes, backslashes, opens, closes) = Classify(bytes);
            if (backslashes != 0 || escapeFirst)
            {
                quotes &= ~Escaped(backslashes, ref escapeFirst);
            }
            var inside = PrefixXor(quotes) ^ inString;
            inString = (ulong)((long)inside >> 63);
            for (var brackets = (opens | closes) & ~inside; brackets != 0; brackets &= brackets - 1)
            {
                var at = BitOperations.TrailingZeroCount(brackets);
                var isObject = (opens >> at & 1) == 0 ? bytes[at] == (byte)'}' : bytes[at] == (byte)'{';
                if ((opens >> at & 1) == 1)
                {
                    if (depth == MaxDepth)
                    {
                        _position = block + at;
                        throw Malformed($"nested deeper than {MaxDepth} levels");
                    }
                    open = (open << 1) | (isObject ? 1UL : 0UL);
                    depth++;
                    continue;
                }
                if (((open & 1) == 1) != isObject)
                {
                    _position = block + at;
                    throw Malformed("a bracket that does not match");
                }
                open >>= 1;
                if (--depth == 0)
                {
                    _position = block + at + 1;
                    return;
                }
            }
        }
        throw Truncated();
    }

    private const int BlockBytes = 64;

    /// <summary>Bit i set where byte i is a quote, a backslash, an opening or a closing bracket.</summary>
    private static (ulong Quotes, ulong Backslashes, ulong Opens, ulong Closes) Classify(ReadOnlySpan<byte> block)
    {
        ulong quotes = 0, backslashes = 0, opens = 0, closes = 0;
        var caseBit = Vector128.Create((byte)0x20);
        for (var i = 0; i < BlockBytes; i += 16)
        {
            var v = Vector128.Create(block.Slice(i, 16));
            // '[' and '{' differ only in bit 0x20, as do ']' and '}': one compare finds both.
            var folded = v | caseBit;
            quotes |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'"')).ExtractMostSignificantBits() << i;
            backslashes |= (ulong)Vector128.Equals(v, Vector128.Create((byte)'\\')).ExtractMostSignificantBits() << i;
            opens |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'{')).ExtractMostSignificantBits() << i;
            closes |= (ulong)Vector128.Equals(folded, Vector128.Create((byte)'}')).ExtractMostSignificantBits() << i;
        }
        return (quotes, backslashes, opens, closes);
    }

    /// <summary>The bytes a backslash escapes; <paramref name="escapeFirst"/> carries an escape into the next block.</summary>
    private static ulong Escaped(ulong backslashes, ref bool escapeFirst)
    {
        var escaped = escapeFirst ? 1UL : 0UL;
        escapeFirst = false;
        for (var rest = backslashes; rest != 0; rest &= rest - 1)
        {
            var at = BitOperations.TrailingZeroCount(rest);
            if ((escaped >> at & 1) == 1)
            {
                continue;
            }
            if (at == BlockBytes - 1)
            {
                escapeFirst = true;
            }
            else
            {
                escaped |= 1UL << (at + 1);
            }
        }
        return escaped;
    }

    /// <summary>Bit i is the XOR of bits 0..i: 1 from an opening quote up to, not including, its closing one.</summary>
    private static ulong PrefixXor(ulong bits)
    {
        bits ^= bits << 1;
        bits ^= bits << 2;
        bits ^= bits << 4;
        bits ^= bits << 8;
        bits ^= bits << 16;
        bits ^= bits << 32;
        return bits;
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
