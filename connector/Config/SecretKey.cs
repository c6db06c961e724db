namespace SourceStripe.Config;

/// <summary>
/// The Stripe secret key. Its text leaves this type only for the Authorization header, so that no log
/// line, error or checkpoint can carry it by accident.
/// </summary>
public sealed class SecretKey
{
    private readonly string _value;

    public SecretKey(string value) => _value = value;

    /// <summary>Live keys get Stripe's live-mode rate limit; test keys the sandbox one.</summary>
    public bool IsLive => _value.StartsWith("sk_live_", StringComparison.Ordinal) || _value.StartsWith("rk_live_", StringComparison.Ordinal);

    public bool IsRestricted => _value.StartsWith("rk_", StringComparison.Ordinal);

    public string AuthorizationHeaderValue => "Bearer " + _value;

    /// <summary>True when <paramref name="text"/> contains the key, for scrubbing text from outside.</summary>
    public bool AppearsIn(string text) => _value.Length > 0 && text.Contains(_value, StringComparison.Ordinal);

    public override string ToString() => (IsRestricted ? "restricted " : "") + (IsLive ? "live" : "test") + " key (redacted)";
}
