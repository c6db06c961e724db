using SourceStripe.Simulator.Generation;
using SourceStripe.Simulator.Webhooks;

namespace SourceStripe.Simulator;

/// <summary>An account the simulator answers for: its data, list answers and mutations, and the options it was made with.</summary>
internal sealed class ServedAccount(SimulatorAccount account, SimulatorOptions options, WebhookDispatcher webhooks)
{
    public SimulatorAccount Account { get; } = account;

    public SimulatorOptions Options { get; } = options;

    public ListHandler Lists { get; } = new(account);

    public Mutations Mutations { get; } = new(account, options, webhooks);
}

/// <summary>
/// One connected account: its id and connection state, and its data, generated on first use. A population
/// member's data may be dropped while nothing pinned it (<see cref="ConnectedAccounts.Serve"/>) and is then
/// generated again, identically, from the same options.
/// </summary>
internal sealed class ConnectedAccount(string id, int index, SimulatorOptions generation, int? member)
{
    private volatile bool _connected = true;
    private volatile bool _forbidden;

    public string Id { get; } = id;

    public int Index { get; } = index;

    /// <summary>Its number in the platform's <see cref="ConnectedAccountPopulation"/>; null for a configured or
    /// later connected account.</summary>
    public int? Member { get; } = member;

    /// <summary>What its data is generated from.</summary>
    public SimulatorOptions Generation { get; } = generation;

    /// <summary>When it (last) connected: its Account object's <c>created</c> on the platform.</summary>
    public long ConnectedAt { get; set; }

    /// <summary>Its Account object on the platform, kept while it is disconnected.</summary>
    public byte[]? Listing { get; set; }

    public bool Connected
    {
        get => _connected;
        set => _connected = value;
    }

    /// <summary>The key may not read it (a restricted key without this account's permissions).</summary>
    public bool Forbidden
    {
        get => _forbidden;
        set => _forbidden = value;
    }

    /// <summary>A population member that disconnected at least once: the platform no longer lists it at its seeded place.</summary>
    public bool Moved { get; set; }

    /// <summary>Its data stays in memory once generated: it was configured, is large, or may have been changed.</summary>
    public bool Pinned { get; set; }

    /// <summary>Its data, once asked for; null again when dropped. Guarded by <see cref="ConnectedAccounts"/>' lock.</summary>
    public Lazy<ServedAccount>? Data { get; set; }

    /// <summary>Its place among the population members whose data may be dropped, most recently used first.</summary>
    public LinkedListNode<ConnectedAccount>? Recent { get; set; }

    /// <summary>Nothing about it differs from what its seed says: it may be forgotten and found again.</summary>
    public bool Untouched => Member is not null && _connected && !_forbidden && !Moved && !Pinned;

    public static SimulatorOptions GenerationOptions(SimulatorOptions platform, ConnectedAccountOptions options, string id, int index,
        long firstSequence, (long From, long To) range) => platform with
        {
            Seed = (int)Rng.For(platform.Seed, "connected", "seed", index).NextUInt64(),
            ObjectsPerStream = options.ObjectsPerStream,
            ObjectCounts = options.ObjectCounts,
            MissingFeatures = options.MissingFeatures,
            AccountId = id,
            ConnectedAccounts = [],
            ConnectedAccountPopulation = null,
            FirstSequence = firstSequence,
            EventAccount = id,
            // The platform's range at start, not the clock's when the account is (re)generated: the same data each time.
            CreatedFrom = DateTimeOffset.FromUnixTimeSeconds(range.From),
            CreatedTo = DateTimeOffset.FromUnixTimeSeconds(range.To),
        };
}
