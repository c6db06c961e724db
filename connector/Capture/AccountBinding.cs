using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Reading;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>
/// One binding's capture for one Stripe account: its cursors (<see cref="AccountState"/>) and the units
/// that move them. Every change to the state is made together with the commit of the documents it
/// records (<see cref="CommitAsync"/>), so the state handed to the writer is never ahead of what it covers.
/// </summary>
public sealed partial class AccountBinding
{
    /// <summary>Events this close to expiring are not relied on: reading them can take a while.</summary>
    private static readonly TimeSpan RetentionMargin = TimeSpan.FromHours(1);

    /// <summary>Ranges with a unit queued or running: each range is read by one unit at a time.</summary>
    /// <remarks>Made on first use and dropped when empty, as is <see cref="_large"/>: a capture of many accounts holds
    /// a binding per account and stream, most of them idle.</remarks>
    private HashSet<string>? _active;
    /// <summary>
    /// Ranges whose last page said more follow and that have not been split since, with the created time
    /// that page reached: only these are split, below that time, so a small stream costs no more requests
    /// than its pages and a large one doubles its slices page by page.
    /// </summary>
    private Dictionary<string, long>? _large;
    private AccountState _state;
    /// <summary>The state changed since its last checkpoint (a plan or a split), so the capture's end writes it.</summary>
    private bool _dirty;
    /// <summary>Events cycles and checks holding this binding: it is folded back into its account only once none does.</summary>
    private int _users;
    private byte[]? _member;

    /// <summary>The account's binding, from <paramref name="state"/>: its entry in the binding's pending progress, or its account's slot.</summary>
    internal AccountBinding(BoundStream binding, AccountCapture account, AccountState state)
    {
        Binding = binding;
        Account = account;
        _state = state;
    }

    public BoundStream Binding { get; }

    public AccountCapture Account { get; }

    public string AccountId => Account.AccountId;

    /// <summary>
    /// The <c>account_id</c> member this binding adds to its documents (see <see cref="AccountCapture.Member"/>); none
    /// for the children of Connect's accounts (persons, external accounts), whose parent id already fills
    /// <c>account_id</c> with the account they belong to.
    /// </summary>
    public byte[] AccountMember => Stream.Parent?.IdField == StreamCatalog.AccountField ? [] : _member ??= Account.Member;

    /// <summary>Whether this binding is read at all: its account is connected and has what the stream needs.</summary>
    public bool IsActive => Account.IsActive && !Account.IsSkipped(Binding.Index);

    public StreamDescriptor Stream => Binding.Stream;

    /// <summary>The stream whose list is paged: the binding's own, or its parent's for a child stream.</summary>
    public StreamDescriptor Listed => Binding.Stream.Listed;

    public CaptureContext Context => Account.Context;

    /// <summary>The endpoint the binding's pages spend their requests on (<see cref="BoundStream.ReadOperation"/>).</summary>
    public RequestEndpoint ReadEndpoint => new(Account.RequestAccount, Binding.ReadOperation);

    public bool IsEventsStream => ReferenceEquals(Stream, StreamCatalog.Events);

    /// <summary>Incremental bindings take changes from events: their own, or their parent's for child streams.</summary>
    public bool ListensToEvents => Binding.ListensToEvents;

    /// <summary>Where this binding's events stand once its backfill is done; null before, and for bindings without events.</summary>
    public long? EventsCursor
    {
        get { lock (Account.Gate) { return ListensToEvents && IsActive && _state.Events is { } cursor && !RangePlanner.IsBackfilling(_state) ? cursor : null; } }
    }

    /// <summary>Forgets the progress of an account whose events expired (a capture paused for weeks) and backfills it again.</summary>
    public Task CheckRetentionAsync(CancellationToken stop)
    {
        string? expired;
        lock (Account.Gate)
        {
            expired = ListensToEvents && _state.Events is { } cursor && Expired(Context, cursor)
                ? $"Stripe keeps events for 30 days, and {Stream.Name}{Account.Of} last read its events up to {DateTimeOffset.FromUnixTimeSeconds(cursor):yyyy-MM-dd HH:mm}Z: "
                  + $"backfilling {Stream.Name}{Account.Of} again so that no change made since is lost"
                : null;
        }
        if (expired is null)
        {
            return Task.CompletedTask;
        }
        Log.Warn(expired);
        lock (Account.Gate)
        {
            _state = new AccountState();
            _large = null;
            Context.Writer.Add(null, 0, Binding.StateKey, Patch());
        }
        return Task.CompletedTask;
    }

    /// <summary>Whether events read up to <paramref name="cursor"/> (unix seconds) are about to expire, or have.</summary>
    internal static bool Expired(CaptureContext context, long cursor) =>
        cursor < (context.Clock.GetUtcNow() - CaptureContext.EventRetention + RetentionMargin).ToUnixTimeSeconds();

    /// <summary>Queues a unit for each pending range not being read; with none left, hands the binding back to its account to fold and time its next plan.</summary>
    public void Continue()
    {
        List<string> start;
        bool idle;
        lock (Account.Gate)
        {
            if (!IsActive)
            {
                // Resume continues it, if its account comes back.
                return;
            }
            start = [.. _state.PendingRanges.Where(p => p.Value is not null && _active?.Contains(p.Key) != true).Select(p => p.Key).Order(StringComparer.Ordinal)];
            if (start.Count > 0)
            {
                (_active ??= []).UnionWith(start);
            }
            idle = _active is null;
        }
        foreach (var key in start)
        {
            Context.Scheduler.Enqueue(new RangePageUnit(this, key));
        }
        if (idle)
        {
            Account.Idle(this);
        }
    }

    /// <summary>A unit finished its range (or lost it to a restart): forget it as active and carry on.</summary>
    public void RangeEnded(string key)
    {
        lock (Account.Gate)
        {
            if (_active?.Remove(key) == true && _active.Count == 0)
            {
                _active = null;
            }
            if (_large?.Remove(key) == true && _large.Count == 0)
            {
                _large = null;
            }
        }
        Continue();
    }

    /// <summary>Adds the next range to read (<see cref="RangePlanner.PlanNext"/>). Call under the account's gate.</summary>
    internal void Plan()
    {
        _dirty = true;
        RangePlanner.PlanNext(_state, Binding, Context, ListensToEvents, Account.Of);
    }

    /// <summary>Nothing pending and no range being read: the binding waits for its next plan. Call under the account's gate.</summary>
    internal bool AwaitsPlan => _active is null && !_state.HasPending;

    /// <summary>No work of any kind: the account may fold it into its slot. Call under the account's gate.</summary>
    internal bool CanFold => _active is null && _large is null && _users == 0 && _state.PendingRanges.Count == 0;

    /// <summary>The state itself. Call under the account's gate.</summary>
    internal AccountState State => _state;

    /// <summary>Whether the state changed since its last checkpoint. Call under the account's gate.</summary>
    internal bool Dirty => _dirty;

    /// <summary>Holds the binding made (an events cycle uses it). Call under the account's gate.</summary>
    internal void Pin() => _users++;

    /// <summary>Lets go of the binding: the account folds it once nothing else holds it and it has no work.</summary>
    internal void Unpin()
    {
        lock (Account.Gate)
        {
            _users--;
        }
        Continue();
    }

    /// <summary>The state when nothing is pending (what the account's row holds for this binding), else null. Call under the account's gate.</summary>
    internal AccountState? CaughtUp => _state.HasPending ? null : _state;

    /// <summary>The range's state as it stands now, if it is still pending. Call under <see cref="Read{T}"/>.</summary>
    public RangeState? Range(string key) => _state.PendingRanges.TryGetValue(key, out var range) ? range : null;

    /// <summary>Reads the state under the lock.</summary>
    public T Read<T>(Func<AccountState, T> read)
    {
        lock (Account.Gate)
        {
            return read(_state);
        }
    }

    /// <summary>
    /// Splits this binding's largest splittable range (see <see cref="RangePlanner.Split"/>) and returns the unit that
    /// reads its new half; none while its endpoint has no room for one more (the split would only wait there).
    /// </summary>
    public WorkUnit? TrySplit(Predicate<RequestEndpoint> hasRoom)
    {
        lock (Account.Gate)
        {
            if (!IsActive || _large is null || !hasRoom(ReadEndpoint) || RangePlanner.Split(_state, _large) is not var (split, key))
            {
                return null;
            }
            _dirty = true;
            _large.Remove(split);
            (_active ??= []).Add(key);
            return new RangePageUnit(this, key);
        }
    }

    /// <summary>
    /// Marks a range as holding more than the page just read, which reached <paramref name="reached"/>, so
    /// that idle capacity may split what lies below it while the page is still being processed (a page of
    /// parents can take many requests for their children).
    /// </summary>
    public void MarkLarge(string key, long reached)
    {
        lock (Account.Gate)
        {
            (_large ??= [])[key] = reached;
        }
        Account.Splittable();
    }

    /// <summary>Stops reading this stream for this account (it lacks what the stream needs), saying so once.</summary>
    public void Skip(string why)
    {
        lock (Account.Gate)
        {
            if (!Account.SetSkipped(Binding.Index))
            {
                return;
            }
        }
        Log.Info($"Skipping {Stream.Name}{Account.Of}: {why}");
    }
}
