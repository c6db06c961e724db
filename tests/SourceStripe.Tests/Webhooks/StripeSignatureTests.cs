using System.Security.Cryptography;
using System.Text;
using SourceStripe.Webhooks;

namespace SourceStripe.Tests.Webhooks;

public sealed class StripeSignatureTests
{
    private const string Secret = "whsec_test_secret";
    private const string Body = """{"id":"evt_1","object":"event"}""";
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    /// <summary>Computed outside .NET (Python's hmac module), so that the oracle is not the code under test.</summary>
    private const string KnownV1 = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd";

    [Fact]
    public void A_signature_computed_as_stripe_does_is_valid()
    {
        Assert.Equal(SignatureCheck.Valid, Verify([Secret], $"t=1700000000,v1={KnownV1}", Body));
        // Spaces around items, a v0 and unknown items beside the v1 change nothing.
        Assert.Equal(SignatureCheck.Valid, Verify([Secret], $" t=1700000000 , v0=abc, v1={KnownV1} ,x=y", Body));
    }

    [Fact]
    public void While_a_secret_is_rotated_either_one_proves_the_delivery()
    {
        const string old = "whsec_old_secret";
        // Stripe signs with every active secret: one v1 each.
        var both = $"t=1700000000,v1={V1(old, 1_700_000_000, Body)},v1={V1(Secret, 1_700_000_000, Body)}";
        Assert.Equal(SignatureCheck.Valid, Verify([Secret], both, Body));
        Assert.Equal(SignatureCheck.Valid, Verify([old], both, Body));
        // The config holds both while the sender has moved on to one of them.
        Assert.Equal(SignatureCheck.Valid, Verify([old, Secret], $"t=1700000000,v1={KnownV1}", Body));
        Assert.Equal(SignatureCheck.Valid, Verify([Secret, old], $"t=1700000000,v1={V1(old, 1_700_000_000, Body)}", Body));
    }

    [Fact]
    public void A_wrong_secret_or_a_tampered_body_does_not_match()
    {
        Assert.Equal(SignatureCheck.Mismatch, Verify(["whsec_other"], $"t=1700000000,v1={KnownV1}", Body));
        Assert.Equal(SignatureCheck.Mismatch, Verify([Secret], $"t=1700000000,v1={KnownV1}", Body.Replace("evt_1", "evt_2")));
        Assert.Equal(SignatureCheck.Mismatch, Verify([Secret], $"t=1700000000,v1={KnownV1}", Body + " "));
        // The timestamp is signed too: the same v1 under another t is refused.
        Assert.Equal(SignatureCheck.Mismatch, Verify([Secret], $"t=1700000001,v1={KnownV1}", Body));
        Assert.Equal(SignatureCheck.Mismatch, Verify([Secret], $"t=1700000000,v1={KnownV1[..^2]}", Body));
        Assert.Equal(SignatureCheck.Mismatch, Verify([Secret], $"t=1700000000,v1={KnownV1[..^2]}zz", Body));
        Assert.Equal(SignatureCheck.Mismatch, Verify([Secret], "t=1700000000,v1=", Body));
    }

    [Theory]
    [InlineData(-300, SignatureCheck.Valid)]
    [InlineData(300, SignatureCheck.Valid)]
    [InlineData(-301, SignatureCheck.TooOld)]
    [InlineData(-86_400, SignatureCheck.TooOld)]
    [InlineData(301, SignatureCheck.TooNew)]
    public void The_timestamp_must_be_within_five_minutes_of_now(int offsetSeconds, SignatureCheck expected)
    {
        var t = Now.ToUnixTimeSeconds() + offsetSeconds;
        Assert.Equal(expected, Verify([Secret], $"t={t},v1={V1(Secret, t, Body)}", Body));
    }

    [Fact]
    public void A_missing_header_is_missing()
    {
        Assert.Equal(SignatureCheck.Missing, Verify([Secret], null, Body));
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("v1=" + KnownV1)]
    [InlineData("t=,v1=" + KnownV1)]
    [InlineData("t=abc,v1=" + KnownV1)]
    [InlineData("t=-1700000000,v1=" + KnownV1)]
    [InlineData("t=1700000000.0,v1=" + KnownV1)]
    [InlineData("t=1700000000,t=1700000000,v1=" + KnownV1)]
    [InlineData("t=1700000000")]
    [InlineData("t=1700000000,v2=" + KnownV1)]
    public void A_malformed_header_is_refused(string header)
    {
        Assert.Equal(SignatureCheck.Malformed, Verify([Secret], header, Body));
    }

    [Fact]
    public void A_v0_signature_alone_counts_for_nothing()
    {
        // v0 is Stripe's test-mode scheme of old; only v1 counts, even when the v0 is this very HMAC.
        Assert.Equal(SignatureCheck.Malformed, Verify([Secret], $"t=1700000000,v0={KnownV1}", Body));
    }

    [Fact]
    public void The_key_is_the_whole_secret_with_its_prefix()
    {
        var withoutPrefix = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("test_secret"), Encoding.UTF8.GetBytes("1700000000." + Body)));
        Assert.Equal(SignatureCheck.Mismatch, Verify([Secret], $"t=1700000000,v1={withoutPrefix}", Body));
    }

    private static SignatureCheck Verify(string[] secrets, string? header, string body) =>
        new StripeSignature(secrets).Verify(header, Encoding.UTF8.GetBytes(body), Now);

    /// <summary>Stripe's v1 as its documentation states it, computed here independently of the product.</summary>
    internal static string V1(string secret, long t, string body) => V1(secret, t, Encoding.UTF8.GetBytes(body));

    internal static string V1(string secret, long t, byte[] body) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), (byte[])[.. Encoding.ASCII.GetBytes($"{t}."), .. body]));
}
