using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SourceStripe.Webhooks;

/// <summary>Why a delivery was or was not proved to come from Stripe.</summary>
public enum SignatureCheck
{
    Valid,

    /// <summary>No <c>Stripe-Signature</c> header, or more than one.</summary>
    Missing,

    /// <summary>A header without one <c>t</c> of unix seconds, or with no <c>v1</c> (a <c>v0</c> alone counts for nothing).</summary>
    Malformed,

    /// <summary>Signed more than the tolerance before now: a replay, or a clock far off.</summary>
    TooOld,

    /// <summary>Signed more than the tolerance after now.</summary>
    TooNew,

    /// <summary>No <c>v1</c> is the HMAC of this body under any of the secrets.</summary>
    Mismatch,
}

/// <summary>
/// Stripe's webhook signature: <c>Stripe-Signature: t=&lt;unix seconds&gt;,v1=&lt;hex&gt;[,v1=…][,v0=…]</c>, each
/// <c>v1</c> the HMAC-SHA256 of <c>"{t}.{raw body}"</c> keyed with the UTF-8 bytes of a whole <c>whsec_…</c> secret.
/// </summary>
public sealed class StripeSignature
{
    /// <summary>Stripe's libraries' default: a delivery signed further from now is refused.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(300);

    private const int HashBytes = 32;

    private readonly byte[][] _keys;

    public StripeSignature(IReadOnlyList<string> secrets)
    {
        if (secrets.Count == 0)
        {
            throw new ArgumentException("At least one signing secret is needed.", nameof(secrets));
        }
        _keys = [.. secrets.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>Reads the header's <c>t</c> and checks it against <paramref name="now"/>; the body is not needed yet.</summary>
    public static SignatureCheck CheckHeader(string? header, DateTimeOffset now)
    {
        if (header is null)
        {
            return SignatureCheck.Missing;
        }
        if (!TryReadTimestamp(header, out var signedAt, out _) || !HasV1(header))
        {
            return SignatureCheck.Malformed;
        }
        var age = now.ToUnixTimeSeconds() - signedAt;
        return age > Tolerance.TotalSeconds ? SignatureCheck.TooOld
            : age < -Tolerance.TotalSeconds ? SignatureCheck.TooNew
            : SignatureCheck.Valid;
    }

    /// <summary>The header's check, then whether any <c>v1</c> is the HMAC of <paramref name="body"/> under any secret.</summary>
    public SignatureCheck Verify(string? header, ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        var check = CheckHeader(header, now);
        if (check != SignatureCheck.Valid)
        {
            return check;
        }
        TryReadTimestamp(header!, out _, out var timestampText);
        var expected = new byte[HashBytes * _keys.Length].AsSpan();
        for (var i = 0; i < _keys.Length; i++)
        {
            Sign(_keys[i], timestampText, body, expected.Slice(i * HashBytes, HashBytes));
        }

        Span<byte> offered = stackalloc byte[HashBytes];
        var matched = false;
        foreach (var item in Items(header!))
        {
            if (!item.Name.SequenceEqual("v1") || !TryDecodeHex(item.Value, offered))
            {
                continue;
            }
            for (var i = 0; i < _keys.Length; i++)
            {
                // Every pair is compared, whatever matched first: how long it takes says nothing of which one did.
                matched |= CryptographicOperations.FixedTimeEquals(offered, expected.Slice(i * HashBytes, HashBytes));
            }
        }
        return matched ? SignatureCheck.Valid : SignatureCheck.Mismatch;
    }

    /// <summary>The <c>v1</c> signature of <paramref name="body"/> signed at <paramref name="timestamp"/>, as Stripe computes it.</summary>
    private static void Sign(byte[] key, ReadOnlySpan<char> timestamp, ReadOnlySpan<byte> body, Span<byte> hash)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        Span<byte> prefix = stackalloc byte[timestamp.Length + 1];
        var written = Encoding.ASCII.GetBytes(timestamp, prefix);
        prefix[written] = (byte)'.';
        hmac.AppendData(prefix[..(written + 1)]);
        hmac.AppendData(body);
        hmac.GetHashAndReset(hash);
    }

    private static bool TryReadTimestamp(string header, out long seconds, out ReadOnlySpan<char> text)
    {
        seconds = 0;
        text = default;
        var found = false;
        foreach (var item in Items(header))
        {
            if (!item.Name.SequenceEqual("t"))
            {
                continue;
            }
            var value = item.Value;
            // Two timestamps would leave it open which one was signed.
            if (found || value.Length is 0 or > 12 || !IsDigits(value))
            {
                return false;
            }
            seconds = long.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
            text = value;
            found = true;
        }
        return found;
    }

    private static bool HasV1(string header)
    {
        foreach (var item in Items(header))
        {
            if (item.Name.SequenceEqual("v1"))
            {
                return true;
            }
        }
        return false;
    }

    private static bool IsDigits(ReadOnlySpan<char> text) => !text.ContainsAnyExceptInRange('0', '9');

    private static bool TryDecodeHex(ReadOnlySpan<char> hex, Span<byte> bytes) =>
        hex.Length == bytes.Length * 2 && Convert.FromHexString(hex, bytes, out _, out var written) == OperationStatus.Done && written == bytes.Length;

    /// <summary>The header's comma-separated <c>name=value</c> items, trimmed; an item without '=' has an empty value.</summary>
    private static ItemEnumerator Items(string header) => new(header);

    private readonly ref struct Item(ReadOnlySpan<char> name, ReadOnlySpan<char> value)
    {
        public ReadOnlySpan<char> Name { get; } = name;

        public ReadOnlySpan<char> Value { get; } = value;
    }

    private ref struct ItemEnumerator(string header)
    {
        private ReadOnlySpan<char> _rest = header;

        public Item Current { get; private set; }

        public readonly ItemEnumerator GetEnumerator() => this;

        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }
            var comma = _rest.IndexOf(',');
            var item = (comma < 0 ? _rest : _rest[..comma]).Trim();
            _rest = comma < 0 ? [] : _rest[(comma + 1)..];
            var equals = item.IndexOf('=');
            Current = equals < 0 ? new Item(item, []) : new Item(item[..equals].Trim(), item[(equals + 1)..].Trim());
            return true;
        }
    }
}
