using System.Buffers;
using System.Text.Json;
using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator;

/// <summary>Stripe Connect: which account a request is for, and connected accounts coming and going.</summary>
public sealed partial class SimulatedStripeApi
{
    private readonly Lock _connectGate = new();
    private byte[]? _application;

    /// <summary>
    /// The account a <c>Stripe-Account</c> header names: the platform when absent or the platform's own id, a
    /// connected account while it is connected. Anything else answers as Stripe does for an account the key cannot
    /// reach, a disconnected one included: 403 <c>account_invalid</c>.
    /// </summary>
    private (ServedAccount Served, ConnectedAccount? Connected) Target(string? stripeAccount, string key)
    {
        if (stripeAccount is null || stripeAccount == _options.AccountId)
        {
            return (Platform, null);
        }
        return Connected.Find(stripeAccount) is { Connected: true } connected
            ? (Connected.Serve(connected, pin: false), connected)
            : throw StripeErrors.NoAccessToAccount(key, stripeAccount);
    }

    /// <summary>The options' connected accounts, each connected at a time drawn from the seed within the creation
    /// range; those connected within the event retention announce it on the platform, as they would have (a
    /// population's, one event for each of its members connected in the last 30 days: the only bytes they cost).</summary>
    private void ConnectInitialAccounts((long From, long To) range)
    {
        if (!_options.IsPlatform)
        {
            return;
        }
        var configured = _options.ConnectedAccounts.Select(Connected.Add).ToList();
        foreach (var account in configured)
        {
            account.ConnectedAt = AccountPopulation.ConnectTime(_options.Seed, account.Index, range.From, range.To);
            account.Listing = Platform.Mutations.ListAccount(account.Id, account.ConnectedAt, null, account.Index,
                ConnectedAccounts.ListingSequence(account.Index));
        }
        var announced = configured.Select(a => (Created: a.ConnectedAt, a.Index, a.Id)).ToList();
        if (Connected.Population is { } population)
        {
            var retained = population.FirstAtOrBefore(Account.RetentionStart - 1);
            for (var position = 0; position < retained; position++)
            {
                var (member, created) = population.At(position);
                announced.Add((created, population.FirstIndex + member, population.IdOf(member)));
            }
        }
        foreach (var (created, _, id) in announced.Where(a => a.Created >= Account.RetentionStart).OrderBy(a => a.Created).ThenBy(a => a.Index))
        {
            Platform.Mutations.ApplicationEvent("account.application.authorized", Application(), id, created);
        }
    }

    /// <summary>An account's data; <paramref name="pin"/> keeps it in memory (it is about to change, or be held).</summary>
    internal ServedAccount Served(string accountId, bool pin) => Connected.Serve(Connected.Get(accountId), pin);

    /// <summary>Changes to the platform (its own id) or a connected account, connected or not.</summary>
    internal AccountMutations MutationsFor(string accountId)
    {
        ArgumentNullException.ThrowIfNull(accountId);
        return new(accountId, accountId == _options.AccountId ? Platform.Mutations : Served(accountId, pin: true).Mutations);
    }

    internal string Connect(ConnectedAccountOptions options)
    {
        lock (_connectGate)
        {
            if (Connected.Count == 0)
            {
                Platform.Mutations.RemoveGeneratedAccounts();
            }
            var account = Connected.Add(options);
            account.ConnectedAt = Account.NowUnix;
            List(account, announce: true);
            return account.Id;
        }
    }

    internal void Disconnect(string accountId)
    {
        lock (_connectGate)
        {
            var account = Connected.Get(accountId);
            if (!account.Connected)
            {
                throw new InvalidOperationException($"{accountId} is not connected.");
            }
            // Off its seeded place in the list, then refused from now on, before the platform hears of it: as on Stripe, the event may come after a failed request.
            if (account.Member is not null)
            {
                Connected.Move(account);
            }
            account.Connected = false;
            Platform.Mutations.UnlistAccount(accountId);
            Platform.Mutations.ApplicationEvent("account.application.deauthorized", Application(), accountId, Account.NowUnix);
        }
    }

    internal void Reconnect(string accountId)
    {
        lock (_connectGate)
        {
            var account = Connected.Get(accountId);
            if (account.Connected)
            {
                throw new InvalidOperationException($"{accountId} is already connected.");
            }
            account.ConnectedAt = Account.NowUnix;
            List(account, announce: true);
        }
    }

    private void List(ConnectedAccount account, bool announce)
    {
        account.Listing = Platform.Mutations.ListAccount(account.Id, account.ConnectedAt, account.Listing, account.Index,
            ConnectedAccounts.ListingSequence(account.Index));
        account.Connected = true;
        if (announce)
        {
            Platform.Mutations.ApplicationEvent("account.application.authorized", Application(), account.Id, account.ConnectedAt);
        }
    }

    /// <summary>The platform's Connect application, as <c>data.object</c> of its <c>account.application.*</c> events.</summary>
    private byte[] Application()
    {
        if (_application is null)
        {
            var rng = Rng.For(_options.Seed, "connected", "application", 0);
            var buffer = new ArrayBufferWriter<byte>(128);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("id", "ca_" + StripeIds.Random(ref rng, 32));
                w.WriteString("object", "application");
                w.WriteString("name", "Simulated Connect platform");
                w.WriteEndObject();
            }
            _application = buffer.WrittenSpan.ToArray();
        }
        return _application;
    }
}
