using SourceStripe.Simulator.Generation;
using SourceStripe.Simulator.Webhooks;

namespace SourceStripe.Simulator;

/// <summary>
/// The platform's connected accounts, in creation order: the configured ones, then the population's members, then
/// those connected later. Each one's ids, seed and <c>acct_</c> id derive from the platform's seed and its index, so
/// the same options give the same accounts, and no two accounts share an id. A population member exists here only
/// while something about it is held (its data, a changed state); otherwise it is found again from its id.
/// </summary>
internal sealed class ConnectedAccounts
{
    /// <summary>Ids encode a sequence (<see cref="StripeIds"/>) in 8 characters: account i's start at (i + 1) × this,
    /// far past any account's own objects, and the last of <see cref="MaxAccounts"/> still fits.</summary>
    private const long SequenceStride = 500_000_000;

    public const int MaxAccounts = 400_000;

    private readonly SimulatorOptions _platform;
    private readonly WebhookDispatcher _webhooks;
    private readonly (long From, long To) _range;
    private readonly int _configured;
    private readonly Lock _gate = new();
    private readonly List<ConnectedAccount> _listed = [];
    private readonly Dictionary<string, ConnectedAccount> _byId = new(StringComparer.Ordinal);
    private readonly Dictionary<int, ConnectedAccount> _members = [];
    private readonly HashSet<int> _moved = [];
    private readonly LinkedList<ConnectedAccount> _recent = new();
    private int _generated;

    /// <summary>Accounts of <paramref name="platform"/>, whose changes <paramref name="webhooks"/> deliver; connect times
    /// and every account's data come from <paramref name="range"/>, the platform's creation range at start.</summary>
    public ConnectedAccounts(SimulatorOptions platform, WebhookDispatcher webhooks, (long From, long To) range)
    {
        _platform = platform;
        _webhooks = webhooks;
        _range = range;
        _configured = platform.ConnectedAccounts.Count;
        if (platform.ConnectedAccountPopulation is { } population)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(population.Count);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(population.Large.Count, population.Count);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(_configured + population.Count, MaxAccounts);
            ArgumentOutOfRangeException.ThrowIfNegative(population.GeneratedAccountsKept);
            foreach (var options in population.Large.Append(population.Each))
            {
                ArgumentOutOfRangeException.ThrowIfNegative(options.ObjectsPerStream);
            }
            Population = new AccountPopulation(population, platform.Seed, _configured, range.From, range.To);
        }
    }

    public AccountPopulation? Population { get; }

    /// <summary>How many times an account's data has been generated (a dropped member's again counts again).</summary>
    public int Generated => Volatile.Read(ref _generated);

    public int Count
    {
        get { lock (_gate) { return _listed.Count + (Population?.Count ?? 0); } }
    }

    /// <summary>A configured account, or one connected later.</summary>
    public ConnectedAccount Add(ConnectedAccountOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ObjectsPerStream);
        lock (_gate)
        {
            var index = _listed.Count < _configured ? _listed.Count : _listed.Count + (Population?.Count ?? 0);
            if (index >= MaxAccounts)
            {
                throw new InvalidOperationException($"The simulator holds at most {MaxAccounts} connected accounts.");
            }
            var rng = Rng.For(_platform.Seed, "connected", "account id", index);
            string id;
            do
            {
                id = "acct_" + StripeIds.Random(ref rng, 16);
            }
            while (_byId.ContainsKey(id) || id == _platform.AccountId || Population?.MemberOf(id) is not null);
            var account = new ConnectedAccount(id, index, Generation(options, id, index), member: null) { Pinned = true };
            _listed.Add(account);
            _byId.Add(id, account);
            return account;
        }
    }

    public ConnectedAccount? Find(string id)
    {
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var account))
            {
                return account;
            }
            return Population?.MemberOf(id) is { } member ? MemberLocked(member) : null;
        }
    }

    public ConnectedAccount Get(string id) =>
        Find(id) ?? throw new ArgumentException($"No connected account '{id}'.", nameof(id));

    /// <summary>A population member, as held or as its seed says.</summary>
    public ConnectedAccount Member(int member)
    {
        lock (_gate)
        {
            return MemberLocked(member);
        }
    }

    /// <summary>Whether the platform lists a member elsewhere than its seeded place, or not at all.</summary>
    public bool IsMoved(int member)
    {
        lock (_gate)
        {
            return _moved.Contains(member);
        }
    }

    /// <summary>A member leaves its seeded place for good (it disconnected); it is held from now on.</summary>
    public void Move(ConnectedAccount account)
    {
        lock (_gate)
        {
            account.Moved = true;
            _moved.Add(account.Member!.Value);
            _members[account.Member.Value] = account;
        }
    }

    /// <summary>The key loses its permissions on the account, for good: held from now on if a member.</summary>
    public void Forbid(string id)
    {
        lock (_gate)
        {
            var account = Get(id);
            account.Forbidden = true;
            if (account.Member is { } member)
            {
                _members[member] = account;
            }
        }
    }

    /// <summary>Its data, generated if need be. <paramref name="pin"/> keeps it (it may change); otherwise a population
    /// member's joins the most recently used, and the least recently used beyond the bound is dropped.</summary>
    public ServedAccount Serve(ConnectedAccount account, bool pin)
    {
        Lazy<ServedAccount> data;
        lock (_gate)
        {
            if (pin && !account.Pinned)
            {
                account.Pinned = true;
                if (account.Recent is { } node)
                {
                    _recent.Remove(node);
                    account.Recent = null;
                }
                if (account.Member is { } member)
                {
                    _members[member] = account;
                }
            }
            data = account.Data ??= new Lazy<ServedAccount>(() =>
            {
                var served = new ServedAccount(AccountGenerator.Generate(account.Generation), account.Generation, _webhooks);
                Interlocked.Increment(ref _generated);
                return served;
            }, LazyThreadSafetyMode.ExecutionAndPublication);
            if (!account.Pinned)
            {
                Touch(account);
            }
        }
        return data.Value;
    }

    /// <summary>The ids of the accounts connected now, in creation order.</summary>
    public IReadOnlyList<string> ConnectedIds()
    {
        lock (_gate)
        {
            var ids = new List<string>(Count);
            ids.AddRange(_listed.Take(_configured).Where(a => a.Connected).Select(a => a.Id));
            for (var m = 0; m < (Population?.Count ?? 0); m++)
            {
                if (!_members.TryGetValue(m, out var held) || held.Connected)
                {
                    ids.Add(Population!.IdOf(m));
                }
            }
            ids.AddRange(_listed.Skip(_configured).Where(a => a.Connected).Select(a => a.Id));
            return ids;
        }
    }

    /// <summary>The sequences the platform's rendering of an account's persons and external accounts encode: the
    /// end of the account's own range.</summary>
    public static long ListingSequence(int index) => (index + 2) * SequenceStride - 16;

    private ConnectedAccount MemberLocked(int member)
    {
        if (_members.TryGetValue(member, out var held))
        {
            return held;
        }
        var population = Population!;
        var id = population.IdOf(member);
        var index = population.FirstIndex + member;
        var account = new ConnectedAccount(id, index, Generation(population.Options.OptionsOf(member), id, index), member)
        {
            ConnectedAt = population.CreatedOf(member),
            Pinned = member < population.Options.Large.Count,
        };
        _members[member] = account;
        return account;
    }

    private void Touch(ConnectedAccount account)
    {
        if (account.Recent is { } node)
        {
            _recent.Remove(node);
            _recent.AddFirst(node);
        }
        else
        {
            account.Recent = _recent.AddFirst(account);
        }
        var kept = Population?.Options.GeneratedAccountsKept ?? int.MaxValue;
        while (_recent.Count > kept)
        {
            var oldest = _recent.Last!.Value;
            _recent.RemoveLast();
            oldest.Recent = null;
            oldest.Data = null;
            if (oldest.Untouched && _members.GetValueOrDefault(oldest.Member!.Value) == oldest)
            {
                _members.Remove(oldest.Member.Value);
            }
        }
    }

    private SimulatorOptions Generation(ConnectedAccountOptions options, string id, int index) =>
        ConnectedAccount.GenerationOptions(_platform, options, id, index, (index + 1) * SequenceStride, _range);
}
