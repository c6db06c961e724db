using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace SourceStripe.Stripe;

public ref partial struct JsonScanner
{
    /// <summary>
    /// Steps over an object or array 64 bytes at a time: each block is classified with vector compares into
    /// bit masks of quotes, backslashes and brackets; the bits between quotes (a prefix XOR of the unescaped
    /// quotes, carried from block to block) are inside strings, and only the brackets outside them are
    /// visited one by one, to match them. Most blocks of a Stripe object hold no bracket at all.
    /// </summary>
    private void SkipContainer() => SkipToDepthZero(open: 0, depth: 0);

    /// <summary>
    /// Steps over the rest of the object being read, from between two of its members to its closing '}'
    /// included: once the members the capture reads are found, the others need not be visited one by one.
    /// Brackets and strings are still checked as <see cref="SkipContainer"/> checks them.
    /// </summary>
    public void SkipRestOfObject() => SkipToDepthZero(open: 1, depth: 1);

    /// <param name="open">One bit per bracket already open, innermost lowest: 1 for '{', 0 for '['.</param>
    /// <param name="depth">How many brackets are already open.</param>
    private void SkipToDepthZero(ulong open, int depth)
    {
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

    /// <summary>
    /// Bit i set where byte i of the 64-byte <paramref name="block"/> is a quote, a backslash, an opening or a
    /// closing bracket, in two halves of 256 bits (the binary is built for AVX2: x86-64-v3). '[' and '{' differ
    /// only in bit 0x20, as do ']' and '}': one compare of the block with that bit set finds both.
    /// </summary>
    private static (ulong Quotes, ulong Backslashes, ulong Opens, ulong Closes) Classify(ReadOnlySpan<byte> block)
    {
        ref var start = ref MemoryMarshal.GetReference(block[..BlockBytes]);
        ulong quotes = 0, backslashes = 0, opens = 0, closes = 0;
        for (var i = 0; i < BlockBytes; i += 32)
        {
            var v = Vector256.LoadUnsafe(ref start, (nuint)i);
            var folded = v | Vector256.Create((byte)0x20);
            quotes |= (ulong)Vector256.Equals(v, Vector256.Create((byte)'"')).ExtractMostSignificantBits() << i;
            backslashes |= (ulong)Vector256.Equals(v, Vector256.Create((byte)'\\')).ExtractMostSignificantBits() << i;
            opens |= (ulong)Vector256.Equals(folded, Vector256.Create((byte)'{')).ExtractMostSignificantBits() << i;
            closes |= (ulong)Vector256.Equals(folded, Vector256.Create((byte)'}')).ExtractMostSignificantBits() << i;
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
}
