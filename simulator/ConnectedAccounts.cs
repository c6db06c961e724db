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

/// <summary>One connected account: its id and connection state, and its data, generated on first use.</summary>
internal sealed class ConnectedAccount
{
    private readonly Lazy<ServedAccount> _served;
    private volatile bool _connected;
    private volatile bool _forbidden;

    public ConnectedAccount(string id, int index, SimulatorOptions generation, WebhookDispatcher webhooks, Action generated)
    {
        Id = id;
        Index = index;
        // Generating 100,000 objects takes seconds and a thousand small accounts a lot of memory: only when asked,
        // once, whichever request or test asks first.
        _served = new Lazy<ServedAccount>(() =>
        {
            var served = new ServedAccount(AccountGenerator.Generate(generation), generation, webhooks);
            generated();
            return served;
        }, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Id { get; }

    public int Index { get; }

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

    public bool IsGenerated => _served.IsValueCreated;

    public ServedAccount Served => _served.Value;
}

/// <summary>
/// The platform's connected accounts, in creation order. Each one's ids, seed and <c>acct_</c> id derive from the
/// platform's seed and its index, so the same options give the same accounts, and no two accounts share an id.
/// </summary>
internal sealed class ConnectedAccounts(SimulatorOptions platform, WebhookDispatcher webhooks)
{
    /// <summary>Ids encode a sequence (<see cref="StripeIds"/>): account i's start at (i + 1) × this, far past any
    /// account's own objects, and 20,000 accounts still fit in the 8 characters that encode it.</summary>
    private const long SequenceStride = 10_000_000_000;

    public const int MaxAccounts = 20_000;

    private readonly Lock _gate = new();
    private readonly List<ConnectedAccount> _all = [];
    private readonly Dictionary<string, ConnectedAccount> _byId = new(StringComparer.Ordinal);
    private int _generated;

    /// <summary>How many accounts have generated their data so far.</summary>
    public int Generated => Volatile.Read(ref _generated);

    public int Count
    {
        get { lock (_gate) { return _all.Count; } }
    }

    public ConnectedAccount Add(ConnectedAccountOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ObjectsPerStream);
        lock (_gate)
        {
            var index = _all.Count;
            if (index >= MaxAccounts)
            {
                throw new InvalidOperationException($"The simulator holds at most {MaxAccounts} connected accounts.");
            }
            var rng = Rng.For(platform.Seed, "connected", "account id", index);
            string id;
            do
            {
                id = "acct_" + StripeIds.Random(ref rng, 16);
            }
            while (_byId.ContainsKey(id) || id == platform.AccountId);
            var generation = platform with
            {
                Seed = (int)Rng.For(platform.Seed, "connected", "seed", index).NextUInt64(),
                ObjectsPerStream = options.ObjectsPerStream,
                ObjectCounts = options.ObjectCounts,
                MissingFeatures = options.MissingFeatures,
                AccountId = id,
                ConnectedAccounts = [],
                FirstSequence = (index + 1) * SequenceStride,
                EventAccount = id,
            };
            var account = new ConnectedAccount(id, index, generation, webhooks, () => Interlocked.Increment(ref _generated));
            _all.Add(account);
            _byId.Add(id, account);
            return account;
        }
    }

    public ConnectedAccount? Find(string id)
    {
        lock (_gate)
        {
            return _byId.GetValueOrDefault(id);
        }
    }

    public ConnectedAccount Get(string id) =>
        Find(id) ?? throw new ArgumentException($"No connected account '{id}'.", nameof(id));

    /// <summary>The ids of the accounts connected now, in creation order.</summary>
    public IReadOnlyList<string> ConnectedIds()
    {
        lock (_gate)
        {
            return [.. _all.Where(a => a.Connected).Select(a => a.Id)];
        }
    }

    /// <summary>Every account ever connected, in creation order.</summary>
    public IReadOnlyList<ConnectedAccount> All()
    {
        lock (_gate)
        {
            return [.. _all];
        }
    }
}
