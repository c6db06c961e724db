namespace SourceStripe.Simulator.Generation;

/// <summary>
/// Stripe-looking ids: a prefix, then 24 base62 characters. The first 8 encode a sequence number that
/// grows with creation order, so among objects created in the same second the newest has the greatest id
/// (Stripe's tie order, newest first, then falls out of an ordinal sort); the rest are random.
/// </summary>
internal static class StripeIds
{
    /// <summary>Base62 in ASCII order, so ordinal comparison of ids follows the encoded sequence.</summary>
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Added to sequences so ids look like Stripe's ("ch_3Mml...") rather than starting with zeros.</summary>
    private const long SequenceBase = 3L * 62 * 62 * 62 * 62 * 62 * 62 * 62 + 9_876_543_210L;

    public static string New(string prefix, long sequence, ref Rng rng)
    {
        Span<char> chars = stackalloc char[prefix.Length + 24];
        prefix.CopyTo(chars);
        var body = chars[prefix.Length..];
        var seq = (ulong)(sequence + SequenceBase);
        for (var i = 7; i >= 0; i--)
        {
            body[i] = Alphabet[(int)(seq % 62)];
            seq /= 62;
        }
        for (var i = 8; i < body.Length; i++)
        {
            body[i] = Alphabet[rng.Next(62)];
        }
        return new string(chars);
    }

    /// <summary>Random characters from <paramref name="alphabet"/>, for fingerprints, codes and secrets.</summary>
    public static string Random(ref Rng rng, int length, string alphabet = Alphabet)
    {
        Span<char> chars = stackalloc char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = alphabet[rng.Next(alphabet.Length)];
        }
        return new string(chars);
    }

    public static string Digits(ref Rng rng, int length) => Random(ref rng, length, "0123456789");
}
