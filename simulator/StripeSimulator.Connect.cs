namespace SourceStripe.Simulator;

/// <summary>Stripe Connect: the platform's connected accounts, as tests see and change them.</summary>
public sealed partial class StripeSimulator
{
    /// <summary>The accounts connected now, in creation order (<see cref="SimulatorOptions.ConnectedAccounts"/>
    /// first, then those <see cref="ConnectAccount"/> added).</summary>
    public IReadOnlyList<string> ConnectedAccountIds => _api.Connected.ConnectedIds();

    /// <summary>How many times connected accounts have generated their data: each does on its first request or
    /// <see cref="AccountFor"/>/<see cref="On"/>, not at start, and a population member dropped from memory
    /// (<see cref="ConnectedAccountPopulation.GeneratedAccountsKept"/>) does again when next read.</summary>
    public int GeneratedConnectedAccounts => _api.Connected.Generated;

    /// <summary>An account's data, inspectable: the platform's id gives <see cref="Account"/>; a connected account's
    /// (connected or not) its own. Generates a connected account's data if no request has yet, and keeps it in
    /// memory from then on (the caller may hold it while the account changes).</summary>
    public SimulatorAccount AccountFor(string accountId)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        return accountId == _api.Options.AccountId ? Account : _api.Served(accountId, pin: true).Account;
    }

    /// <summary>Changes to an account (the platform's or a connected one's), emitting the events into its own
    /// <c>/v1/events</c>.</summary>
    public AccountMutations On(string accountId)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        return accountId == _api.Options.AccountId ? _platform : _api.MutationsFor(accountId);
    }

    /// <summary>
    /// Connects a new account now (simulator clock): <c>/v1/accounts</c> lists it from now on (<c>created</c> = now)
    /// and the platform gets <c>account.application.authorized</c> (<c>data.object</c> its application, the event's
    /// <c>account</c> the new account). On a platform started without connected accounts, the first call also
    /// removes its generated accounts, so that <c>/v1/accounts</c> lists only accounts a request can reach.
    /// Returns the new account's id.
    /// </summary>
    public string ConnectAccount(ConnectedAccountOptions options) => _api.Connect(options);

    /// <summary>
    /// Disconnects the account now: its requests answer 403 <c>account_invalid</c> (as Stripe answers a platform key
    /// for an account that revoked its access), it leaves <c>/v1/accounts</c>, and the platform gets
    /// <c>account.application.deauthorized</c>. Its data stays for <see cref="ReconnectAccount"/>.
    /// </summary>
    public void DisconnectAccount(string accountId) => _api.Disconnect(accountId);

    /// <summary>Connects a disconnected account again now: its data and events as they were, listed again with
    /// <c>created</c> = now, and <c>account.application.authorized</c> on the platform.</summary>
    public void ReconnectAccount(string accountId) => _api.Reconnect(accountId);

    /// <summary>From now on the key is a restricted key without this account's permissions: its requests answer
    /// 403 as Stripe does for a missing permission; the account stays connected and listed.</summary>
    public void ForbidAccount(string accountId) => _api.Connected.Forbid(accountId);
}
