using System.Text;
using System.Text.Json;
using SourceStripe.Config;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// The part of a capture's accounts one shard owns: those whose <see cref="Hash"/> lies in
/// [<see cref="Begin"/>, <see cref="End"/>] (Flow's <c>open.range</c> keyBegin and keyEnd, inclusive).
/// </summary>
public readonly record struct KeyRange(uint Begin, uint End)
{
    public static KeyRange Full => new(0, uint.MaxValue);

    public bool IsFull => Begin == 0 && End == uint.MaxValue;

    public bool Owns(string accountId) => Hash(accountId) is var hash && hash >= Begin && hash <= End;

    /// <summary>
    /// FNV-1a, 32 bits, over the UTF-8 bytes of an account id: the documented, stable assignment of accounts
    /// to shards (changing it would move accounts between shards whose states do not follow them).
    /// </summary>
    public static uint Hash(string accountId)
    {
        const uint offsetBasis = 2166136261;
        const uint prime = 16777619;
        var hash = offsetBasis;
        Span<byte> small = stackalloc byte[256];
        var bytes = Encoding.UTF8.GetMaxByteCount(accountId.Length) <= small.Length ? small : new byte[Encoding.UTF8.GetMaxByteCount(accountId.Length)];
        var length = Encoding.UTF8.GetBytes(accountId, bytes);
        foreach (var b in bytes[..length])
        {
            hash = unchecked((hash ^ b) * prime);
        }
        return hash;
    }

    /// <summary>Reads <c>open.range</c> (absent: the whole range); a malformed one is a problem naming the field.</summary>
    public static KeyRange Parse(JsonElement? range, ConfigProblems problems)
    {
        if (range is not { ValueKind: JsonValueKind.Object } value)
        {
            if (range is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined })
            {
                problems.Add("open.range", $"expected an object with keyBegin and keyEnd, got {EndpointConfig.KindName(range.Value.ValueKind)}");
            }
            return Full;
        }
        var begin = Bound(value, "keyBegin", 0, problems);
        var end = Bound(value, "keyEnd", uint.MaxValue, problems);
        if (begin > end)
        {
            problems.Add("open.range", $"expected keyBegin at most keyEnd, got {begin} and {end}");
        }
        return new KeyRange(begin, end);
    }

    private static uint Bound(JsonElement range, string name, uint absent, ConfigProblems problems)
    {
        if (!range.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return absent;
        }
        if (element.ValueKind == JsonValueKind.Number && element.TryGetUInt32(out var bound))
        {
            return bound;
        }
        problems.Add("open.range." + name, $"expected a whole number from 0 to {uint.MaxValue}, got {EndpointConfig.Describe(element)}");
        return absent;
    }

    public override string ToString() => $"[{Begin}, {End}]";
}
