using SourceStripe.State;
using SourceStripe.Streams;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// An account's bindings: made while they have work, folded back into three ints each when they have none.
/// </summary>
public sealed partial class AccountCapture
{
    /// <summary>A folded binding's cursor (its last pass, for a full refresh), its events cursor and its last run.</summary>
    private const int CursorsPerBinding = 3;
    private const int Absent = int.MinValue;
    /// <summary>Times are kept as seconds from here (2030-01-01): an int reaches 68 years either side, and a time beyond stays in its binding.</summary>
    private const long Epoch = 1_893_456_000;

    /// <summary>
    /// Per binding, <see cref="CursorsPerBinding"/> times exactly: a folded binding's state as it stands, else its
    /// column as last checkpointed (what the account's row keeps for it while it has a range pending).
    /// </summary>
    private readonly int[] _cursors;
    /// <summary>The bindings with work, by index; null when none has.</summary>
    private AccountBinding?[]? _live;
    /// <summary>How many of <see cref="_live"/> are set (a byte: fewer than 64 bindings).</summary>
    private byte _liveCount;
    /// <summary>Bindings whose stream this account lacks (bit per binding: open binds each stream once, and there are fewer than 64).</summary>
    private ulong _skipped;
    /// <summary>Bindings a one-shot capture has planned: each plans once.</summary>
    private ulong _planned;
    /// <summary>A folded binding's state changed since the last checkpoint (a plan that found nothing to read): the capture's end writes it.</summary>
    private bool _dirty;

    private static ulong Bit(int index) => index < 64 ? 1UL << index : throw new NotSupportedException("an account holds at most 64 bindings");

    internal bool IsSkipped(int index) => (_skipped & Bit(index)) != 0;

    /// <summary>Marks the binding's stream as lacking in this account; false when it was already. Call under <see cref="Gate"/>.</summary>
    internal bool SetSkipped(int index)
    {
        var was = IsSkipped(index);
        _skipped |= Bit(index);
        return !was;
    }

    /// <summary>
    /// Stores <paramref name="state"/> as <paramref name="binding"/>'s slot; false (the slot unchanged) when it does
    /// not fit: a range pending, a time out of an int's reach, or a value its mode does not keep.
    /// </summary>
    private bool Store(BoundStream binding, AccountState state)
    {
        var fullRefresh = binding.Mode == SyncMode.FullRefresh;
        if (state.PendingRanges.Count > 0 || (fullRefresh ? state.Cursor is not null || state.Events is not null : state.LastPass is not null)
            || !TryEncode(fullRefresh ? state.LastPass : state.Cursor, out var at) || !TryEncode(state.Events, out var events) || !TryEncode(state.LastRun, out var run))
        {
            return false;
        }
        var slot = binding.Index * CursorsPerBinding;
        _cursors[slot] = at;
        _cursors[slot + 1] = events;
        _cursors[slot + 2] = run;
        return true;
    }

    private static bool TryEncode(long? time, out int encoded)
    {
        encoded = Absent;
        if (time is not { } t)
        {
            return true;
        }
        var offset = t - Epoch;
        if (offset is <= int.MinValue or > int.MaxValue)
        {
            return false;
        }
        encoded = (int)offset;
        return true;
    }

    private long? Decode(int slot) => _cursors[slot] == Absent ? null : Epoch + _cursors[slot];

    /// <summary>The binding's slot as a state.</summary>
    private AccountState Stored(BoundStream binding)
    {
        var slot = binding.Index * CursorsPerBinding;
        var at = Decode(slot);
        return binding.Mode == SyncMode.FullRefresh
            ? new AccountState { LastPass = at, LastRun = Decode(slot + 2) }
            : new AccountState { Cursor = at, Events = Decode(slot + 1), LastRun = Decode(slot + 2) };
    }

    private long? StoredLastRun(int index) => Decode((index * CursorsPerBinding) + 2);

    private long? StoredEvents(int index) => Decode((index * CursorsPerBinding) + 1);

    private void Live(int index, AccountBinding binding)
    {
        (_live ??= new AccountBinding?[Streams.Count])[index] = binding;
        _liveCount++;
    }

    private List<AccountBinding> LiveBindings()
    {
        lock (Gate)
        {
            return [.. _live?.OfType<AccountBinding>() ?? []];
        }
    }

    /// <summary>Bound stream <paramref name="index"/>'s binding, made from its slot if it is folded. Call under <see cref="Gate"/>.</summary>
    private AccountBinding Binding(int index)
    {
        if (_live?[index] is { } live)
        {
            return live;
        }
        var made = new AccountBinding(Streams[index], this, Stored(Streams[index]));
        Live(index, made);
        return made;
    }

    /// <summary>
    /// The binding has no work left (nothing pending, no unit of its queued or running, no events cycle using it):
    /// its state goes back to its slot, unless it does not fit there. Then times the account's next wake.
    /// </summary>
    internal void Idle(AccountBinding binding)
    {
        lock (Gate)
        {
            var index = binding.Binding.Index;
            if (ReferenceEquals(_live?[index], binding) && binding.CanFold && Store(binding.Binding, binding.State))
            {
                _dirty |= binding.Dirty;
                _live[index] = null;
                if (--_liveCount == 0)
                {
                    _live = null;
                }
            }
        }
        ScheduleWake();
    }

    /// <summary>
    /// The account's row with the cursors of every binding that has nothing pending as they stand now; a binding
    /// with a range pending keeps the column it was last checkpointed with (its entry in the binding's state takes
    /// precedence until it catches up again, and its cursor may already be past that range). Call under <see cref="Gate"/>
    /// for a checkpoint: what it returns is what the account's slots then record as checkpointed.
    /// </summary>
    public AccountRow? Row()
    {
        var layout = Context.Columns;
        var columns = new AccountState?[layout.Count];
        foreach (var binding in Streams)
        {
            if (binding.ColumnIndex < 0 || binding.ColumnIndex >= layout.Count)
            {
                continue;
            }
            if (_live?[binding.Index]?.CaughtUp is { } now)
            {
                Store(binding, now);
                columns[binding.ColumnIndex] = now;
            }
            else
            {
                columns[binding.ColumnIndex] = Stored(binding);
            }
        }
        _dirty = false;
        return AccountRow.From(columns, layout);
    }

    /// <summary>
    /// Forgets the progress of a binding whose events expired (a capture paused for weeks) and backfills it again.
    /// A folded binding is checked from its slot, without being made.
    /// </summary>
    internal async Task CheckRetentionAsync(int index, CancellationToken stop)
    {
        var stream = Streams[index];
        AccountBinding binding;
        lock (Gate)
        {
            if (_live?[index] is null && (!stream.ListensToEvents || StoredEvents(index) is not { } cursor || !AccountBinding.Expired(Context, cursor)))
            {
                return;
            }
            binding = Binding(index);
            binding.Pin();
        }
        try
        {
            await binding.CheckRetentionAsync(stop).ConfigureAwait(false);
        }
        finally
        {
            binding.Unpin();
        }
    }

    /// <summary>The binding <paramref name="index"/> if its events are to be read up to <paramref name="upTo"/>, held for the cycle (<see cref="AccountBinding.Unpin"/>).</summary>
    internal (AccountBinding Binding, long Cursor)? UseForEvents(int index, long upTo)
    {
        lock (Gate)
        {
            var cursor = _live?[index] is { } live ? live.EventsCursor
                : Streams[index].ListensToEvents && IsActive && !IsSkipped(index) ? StoredEvents(index) : null;
            if (cursor is not { } from || from >= upTo)
            {
                return null;
            }
            var binding = Binding(index);
            binding.Pin();
            return (binding, from);
        }
    }

    /// <summary>Writes each binding's state that changed since its last checkpoint: the capture's last word for this account.</summary>
    public async Task FlushAsync(CancellationToken stop)
    {
        foreach (var binding in LiveBindings())
        {
            await binding.FlushAsync(stop).ConfigureAwait(false);
        }
        lock (Gate)
        {
            if (_dirty)
            {
                Context.Writer.Add(null, 0, null, new StatePatch().Row(AccountId, Row()).ToArray());
            }
        }
    }

}
