using SourceStripe.Capture.Events;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// The accounts this shard captures: the platform (<c>account_id</c>) and, with connected accounts on,
/// every account the platform lists whose hash falls in the shard's <see cref="KeyRange"/>. Each has its
/// own <see cref="AccountCapture"/>; all share the scheduler, the limiter and the writer. Idle capacity
/// goes to the accounts with a range worth splitting, one account at a time in turn, so that one large
/// account cannot take it all from many small ones.
/// </summary>
public sealed partial class AccountDirectory(CaptureContext context, IReadOnlyList<BoundStream> bindings, CaptureState state, KeyRange range)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, AccountCapture> _accounts = new(StringComparer.Ordinal);
    private readonly EventsPlanner _events = new(context, new EventRoutes(bindings));
    private readonly TakeInTurn<AccountCapture> _splittable = new();
    private SharedByAccounts? _shared;

    /// <summary>Which bindings each event type concerns, the same for every account.</summary>
    internal EventRoutes Routes => _events.Routes;

    /// <summary>Times the accounts' events polls, and says whether the capture keeps up.</summary>
    internal EventsPlanner Events => _events;

    private bool Connected => context.Config.CaptureConnectedAccounts;

    /// <summary>Every account being captured, the platform first when this shard owns it.</summary>
    public IReadOnlyList<AccountCapture> Accounts
    {
        get { lock (_lock) { return [.. _accounts.Values]; } }
    }

    /// <summary>
    /// Starts the platform's account and, with connected accounts on, the listing of the platform's accounts, whose
    /// units start each account this shard owns as its page arrives (see <see cref="AccountListing"/>); returns once
    /// the listing is queued. Their events polls take turns as the capture can afford them (<see cref="EventsPlanner"/>).
    /// </summary>
    public async Task StartAsync(CancellationToken stop)
    {
        var platform = context.Config.AccountId;
        if (range.Owns(platform) || !Connected)
        {
            await AddAsync(platform, stop).ConfigureAwait(false);
        }
        if (!Connected)
        {
            TrimState();
            _events.Started();
            return;
        }
        var listedAt = context.Clock.GetUtcNow();
        new AccountListing(context, LogLevel.Info, FoundAsync, Listed).Start();
        if (!context.StopWhenCaughtUp)
        {
            ScheduleWatch((listedAt - context.Config.Advanced.EventLag).ToUnixTimeSeconds() - 1);
        }
    }

    /// <summary>An account the first listing found: started at once when this shard owns it.</summary>
    private async Task FoundAsync(string accountId, CancellationToken stop)
    {
        if (range.Owns(accountId))
        {
            await AddAsync(accountId, stop).ConfigureAwait(false);
        }
    }

    /// <summary>The first listing is complete: says what this shard captures, and lists again after the interval.</summary>
    private void Listed(int connected)
    {
        var count = Accounts.Count;
        Log.Info($"Capturing {count} accounts: those of the platform and its {connected} connected accounts whose hash falls in this shard's range {range}",
            ("accounts", count), ("connected", connected));
        TrimState();
        _events.Started();
        if (!context.StopWhenCaughtUp)
        {
            ScheduleRelist();
        }
    }

    /// <summary>
    /// Each listed account took its entry; what is left is the state of accounts not listed now, kept should they return.
    /// </summary>
    private void TrimState()
    {
        lock (_lock)
        {
            foreach (var pending in state.Pending.Values)
            {
                pending.TrimExcess();
            }
            state.Accounts.TrimExcess();
        }
    }

    /// <summary>Starts capturing an account this shard owns; false when it is captured already.</summary>
    private async Task<bool> AddAsync(string accountId, CancellationToken stop)
    {
        AccountCapture account;
        lock (_lock)
        {
            if (_accounts.ContainsKey(accountId))
            {
                return false;
            }
            var row = state.Accounts.Remove(accountId, out var taken) ? taken : null;
            account = new AccountCapture(_shared ??= new SharedByAccounts(context, bindings, Routes, Splittable), accountId, accountId == context.Config.AccountId,
                b => state.Pending.TryGetValue(b.StateKey, out var pending) && pending.Remove(accountId, out var progress) ? progress : null, row);
            _accounts.Add(accountId, account);
        }
        await account.StartAsync(stop).ConfigureAwait(false);
        _events.Add(account);
        return true;
    }

    /// <summary>The account this shard captures under <paramref name="accountId"/>, if it does.</summary>
    internal AccountCapture? Find(string accountId)
    {
        lock (_lock)
        {
            return _accounts.GetValueOrDefault(accountId);
        }
    }

    /// <summary>How often events are read: the shortest interval of the bindings that take changes from them.</summary>
    private TimeSpan EventsInterval => Routes.Listeners.Count > 0 ? Routes.Listeners.Min(b => b.Interval) : RelistInterval;

    /// <summary>Idle capacity's next unit: a split of a range of the account whose turn it is, for an endpoint with room.</summary>
    public WorkUnit? NextSplit(Predicate<RequestEndpoint> hasRoom) => _splittable.Next(account => account.TrySplit(hasRoom));

    private void Splittable(AccountCapture account) => _splittable.Add(account);

    /// <summary>A one-shot capture's last step: each account's events, once.</summary>
    public void ReadEventsOnce()
    {
        foreach (var account in Accounts)
        {
            account.ReadEventsOnce();
        }
    }

    /// <summary>Writes each binding's state that changed since its last checkpoint: the capture's last words.</summary>
    public async Task FlushAsync(CancellationToken stop)
    {
        foreach (var account in Accounts)
        {
            await account.FlushAsync(stop).ConfigureAwait(false);
        }
    }
}
