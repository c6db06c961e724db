using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator;

/// <summary>
/// The members of a <see cref="ConnectedAccountPopulation"/> as the platform lists them, held in 12 bytes each:
/// their <c>created</c> (connect time, drawn from the seed) and their position in Stripe's list order. A member's
/// <c>acct_</c> id is an invertible scramble of its number, so a <c>Stripe-Account</c> header finds it with no table.
/// </summary>
internal sealed class AccountPopulation
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private const int CodeLength = 11;
    private const int CheckLength = 5;
    private const ulong Multiplier = 0xD6E8FEB86659FD93UL;

    private static readonly ulong Inverse = InverseOf(Multiplier);

    private readonly ulong _key;
    private readonly int _seed;
    private readonly long _from;
    private readonly long _to;
    private readonly int[] _members;
    private readonly long[] _created;

    /// <summary>Draws every member's connect time within [<paramref name="from"/>, <paramref name="to"/>) and sorts
    /// them; <paramref name="firstIndex"/> is member 0's platform-wide index (after the configured accounts).</summary>
    public AccountPopulation(ConnectedAccountPopulation options, int seed, int firstIndex, long from, long to)
    {
        Options = options;
        Count = options.Count;
        FirstIndex = firstIndex;
        _seed = seed;
        (_from, _to) = (from, to);
        _key = Rng.For(seed, "connected", "population id", 0).NextUInt64();
        var created = new long[Count];
        for (var m = 0; m < Count; m++)
        {
            created[m] = ConnectTime(seed, firstIndex + m, from, to);
        }
        _members = new int[Count];
        for (var m = 0; m < Count; m++)
        {
            _members[m] = m;
        }
        // Stripe's order, newest first and then greatest id: an id is made only for the rare ties.
        Array.Sort(_members, (a, b) => created[a] != created[b] ? created[b].CompareTo(created[a]) : string.CompareOrdinal(IdOf(b), IdOf(a)));
        _created = new long[Count];
        for (var p = 0; p < Count; p++)
        {
            _created[p] = created[_members[p]];
        }
    }

    public ConnectedAccountPopulation Options { get; }

    public int Count { get; }

    public int FirstIndex { get; }

    /// <summary>When an account of the platform (by its platform-wide index) connected: uniform over the creation range.</summary>
    public static long ConnectTime(int seed, int index, long from, long to) =>
        Rng.For(seed, "connected", "connect time", index).NextLong(from, to);

    /// <summary>A member's <c>created</c> as first listed: its connect time.</summary>
    public long CreatedOf(int member) => ConnectTime(_seed, FirstIndex + member, _from, _to);

    /// <summary>The member and <c>created</c> at a position of the list order.</summary>
    public (int Member, long Created) At(int position) => (_members[position], _created[position]);

    /// <summary>The first position not before (created, id) in list order.</summary>
    public int Position(long created, string id)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            var before = _created[mid] != created ? _created[mid] > created : string.CompareOrdinal(IdOf(_members[mid]), id) > 0;
            if (before)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    /// <summary>The first position created at or before <paramref name="time"/>.</summary>
    public int FirstAtOrBefore(long time)
    {
        int lo = 0, hi = Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_created[mid] > time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        return lo;
    }

    public string IdOf(int member)
    {
        var code = Scramble((ulong)member ^ _key);
        Span<char> chars = stackalloc char[5 + CheckLength + CodeLength];
        "acct_".CopyTo(chars);
        var check = Rng.For(_seed, "connected", "population check", (long)code).NextUInt64();
        for (var i = 0; i < CheckLength; i++)
        {
            chars[5 + i] = Alphabet[(int)(check % 62)];
            check /= 62;
        }
        var body = chars[(5 + CheckLength)..];
        for (var i = CodeLength - 1; i >= 0; i--)
        {
            body[i] = Alphabet[(int)(code % 62)];
            code /= 62;
        }
        return new string(chars);
    }

    /// <summary>The member an id names, or null: the id is decoded, then checked by making it again.</summary>
    public int? MemberOf(string id)
    {
        if (id.Length != 5 + CheckLength + CodeLength || !id.StartsWith("acct_", StringComparison.Ordinal))
        {
            return null;
        }
        var code = 0UL;
        foreach (var c in id.AsSpan(5 + CheckLength))
        {
            var digit = Alphabet.IndexOf(c, StringComparison.Ordinal);
            if (digit < 0 || code > (ulong.MaxValue - (ulong)digit) / 62)
            {
                return null;
            }
            code = code * 62 + (ulong)digit;
        }
        var member = Unscramble(code) ^ _key;
        return member < (ulong)Count && IdOf((int)member) == id ? (int)member : null;
    }

    private static ulong Scramble(ulong x) => Shuffle(x, Multiplier);

    /// <summary>The same steps with the multiplier's inverse undo them: each xorshift by 32 bits is its own inverse.</summary>
    private static ulong Unscramble(ulong x) => Shuffle(x, Inverse);

    private static ulong Shuffle(ulong x, ulong multiplier)
    {
        x ^= x >> 32;
        x *= multiplier;
        x ^= x >> 32;
        x *= multiplier;
        return x ^ (x >> 32);
    }

    /// <summary>The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration doubles the correct bits).</summary>
    private static ulong InverseOf(ulong odd)
    {
        var inverse = odd;
        for (var i = 0; i < 6; i++)
        {
            inverse *= 2 - odd * inverse;
        }
        return inverse;
    }
}
