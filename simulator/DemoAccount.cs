using SourceStripe.Simulator.Server;
using SourceStripe.Simulator.Webhooks;

namespace SourceStripe.Simulator;

/// <summary>
/// The demo's Stripe: a generated account served on 127.0.0.1 from inside the binary, so a demo capture needs no
/// key and no network. Every run serves the same objects (a fixed seed), placed relative to today.
/// </summary>
public static class DemoAccount
{
    /// <summary>Objects per top-level stream (children follow their parents): about 17,000 objects in all, enough to
    /// fill every stream, which a capture of the 60 streams reads in a few seconds on loopback.</summary>
    public const int DefaultObjectsPerStream = 200;

    public const int Seed = 2017;

    public const string SecretKey = "sk_test_demo_simulator";

    public const string AccountId = "acct_demo_simulator";

    /// <summary>Objects per top-level stream of each demo connected account: small, so that many of them start at once.</summary>
    public const int ConnectedObjectsPerStream = 20;

    /// <summary>Generates the account (CPU-bound, a fraction of a second; off the caller's thread) and starts serving it.</summary>
    public static Task<DemoServer> StartAsync(int objectsPerStream = DefaultObjectsPerStream, CancellationToken ct = default) =>
        StartAsync(objectsPerStream, connectedAccounts: 0, ct);

    /// <summary>As <see cref="StartAsync(int, CancellationToken)"/>, the platform of <paramref name="connectedAccounts"/>
    /// small connected accounts (for <c>--demo --connected-accounts N</c>), each generated on its first request.</summary>
    public static async Task<DemoServer> StartAsync(int objectsPerStream, int connectedAccounts, CancellationToken ct = default)
    {
        var options = Options(objectsPerStream, connectedAccounts);
        var api = await Task.Run(() => new SimulatedStripeApi(options), ct).ConfigureAwait(false);
        return new DemoServer(LoopbackServer.Start(api), options.CreatedFrom);
    }

    /// <summary>The demo's options: the platform, and <paramref name="connectedAccounts"/> connected accounts of
    /// <see cref="ConnectedObjectsPerStream"/> objects a stream.</summary>
    public static SimulatorOptions Options(int objectsPerStream = DefaultObjectsPerStream, int connectedAccounts = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(objectsPerStream);
        ArgumentOutOfRangeException.ThrowIfNegative(connectedAccounts);
        // A range of whole days: the generator spreads objects over the range's length, so a fixed length gives the
        // same objects every day, their times shifted by whole days (only which of them still have events within
        // Stripe's 30 days moves with the hour), and a start date at midnight covers them all. It ends a day ago,
        // beyond every lag the connector keeps behind "now".
        var today = new DateTimeOffset(DateTime.UtcNow.Date, TimeSpan.Zero);
        return new SimulatorOptions
        {
            Seed = Seed,
            ObjectsPerStream = objectsPerStream,
            CreatedFrom = today.AddDays(-400),
            CreatedTo = today.AddDays(-1),
            SecretKey = SecretKey,
            AccountId = AccountId,
            // The demo shows a capture, not Stripe's limits: it paces itself at 2,000 requests a second on loopback,
            // and its sandbox key's 25 a second would keep it waiting on 429s.
            RateLimits = null,
            ConnectedAccounts = [.. Enumerable.Repeat(new ConnectedAccountOptions { ObjectsPerStream = ConnectedObjectsPerStream }, connectedAccounts)],
        };
    }
}

/// <summary>A running demo account: where it is, the config that reads it, and what a capture of it must yield.</summary>
public sealed class DemoServer : IAsyncDisposable
{
    private readonly LoopbackServer _server;

    internal DemoServer(LoopbackServer server, DateTimeOffset startDate)
    {
        _server = server;
        StartDate = startDate;
    }

    /// <summary>The config's <c>advanced.base_url</c>: http://127.0.0.1:PORT.</summary>
    public Uri BaseUrl => _server.BaseUrl;

    /// <summary>The config's <c>client_secret</c>.</summary>
    public string SecretKey => DemoAccount.SecretKey;

    /// <summary>The config's <c>account_id</c>.</summary>
    public string AccountId => DemoAccount.AccountId;

    /// <summary>The config's <c>start_date</c>: no object is older.</summary>
    public DateTimeOffset StartDate { get; }

    public SimulatorAccount Account => _server.Api.Account;

    /// <summary>The demo platform's connected accounts, in creation order (none unless asked for).</summary>
    public IReadOnlyList<string> ConnectedAccountIds => _server.Api.Connected.ConnectedIds();

    /// <summary>An account's data: the platform's, or a connected account's.</summary>
    public SimulatorAccount AccountFor(string accountId) => accountId == AccountId ? Account : _server.Api.Served(accountId, pin: true).Account;

    /// <summary>
    /// Per listed resource, the objects a capture of everything since <see cref="StartDate"/> started now reads.
    /// Counted at each call, not once: events older than Stripe's 30-day retention drop out of the account as the
    /// clock moves on.
    /// </summary>
    public IReadOnlyList<(Resource Resource, int Count)> ObjectCounts() =>
        [.. Resources.Listed.Select(r => (r, Account.Count(r.Name)))];

    /// <summary>Changes to an account, the platform's or a connected one's, emitting their events (and so their webhooks).</summary>
    public AccountMutations On(string accountId) => _server.Api.MutationsFor(accountId);

    /// <summary>POSTs the events created from now on to <paramref name="destination"/>, as
    /// <see cref="StripeSimulator.AddWebhookDestination"/> does.</summary>
    public void AddWebhookDestination(WebhookDestination destination) => _server.Api.Webhooks.Add(destination);

    public WebhookAttemptLog WebhookAttempts => _server.Api.Webhooks.Log;

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync().ConfigureAwait(false);
        await _server.Api.Webhooks.DisposeAsync().ConfigureAwait(false);
    }
}
