using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace SourceStripe.Simulator.Webhooks;

/// <summary>Stripe's <c>Stripe-Signature</c> header: <c>t=&lt;unix seconds&gt;</c>, then one <c>v1</c> per secret, each the
/// lowercase hex HMAC-SHA256 of <c>"{t}.{body}"</c> keyed with the secret's UTF-8 bytes (the whole <c>whsec_…</c> string).</summary>
internal static class WebhookSignature
{
    public static string Header(long timestamp, ReadOnlySpan<byte> body, IReadOnlyList<string> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var signed = new byte[prefix.Length + body.Length];
        prefix.CopyTo(signed, 0);
        body.CopyTo(signed.AsSpan(prefix.Length));
        var header = new StringBuilder("t=").Append(timestamp.ToString(CultureInfo.InvariantCulture));
        foreach (var secret in secrets)
        {
            header.Append(",v1=").Append(Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), signed)));
        }
        return header.ToString();
    }
}
