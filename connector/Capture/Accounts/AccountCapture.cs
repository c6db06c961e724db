using System.Net;
using SourceStripe.Capture.Events;
using SourceStripe.Capture.Output;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Logging;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// One Stripe account's capture: its bindings (one per bound stream), its events, and whether it can be read at
/// all. A connected account that Stripe refuses (it disconnected, or the key lost access to it) is set aside with
/// one warning, its progress kept, and resumed if it connects again; one that lacks what a stream needs skips that
/// stream. The platform has no such leniency: its refusals fail the capture.
/// </summary>
/// <remarks>
/// A large platform's shard holds 100,000 accounts, nearly all of them idle between polls, so an idle account is
/// kept small: its bindings' cursors in one array of ints, an <see cref="AccountBinding"/> made only while a
/// binding has work and folded back when it is done (AccountCapture.Bindings.cs), one timed entry in the scheduler
/// for whatever it does next (AccountCapture.Wake.cs), and an <see cref="EventsReader"/> only while it reads its
/// events, which the capture's <see cref="EventsPlanner"/> times (its place there in arrays, not in the account).
/// What every account shares (the bound streams, the events routes) is the capture's.
/// </remarks>
public sealed partial class AccountCapture
{
    private readonly SharedByAccounts _shared;
    /// <summary>The binding whose turn it is to split (a byte: fewer than 64 bindings, and the account's fields fit in 64 bytes).</summary>
    private byte _turn;
    private volatile bool _disconnected;
    private bool _warned;

    public AccountCapture(SharedByAccounts shared, string accountId, bool isPlatform, Func<BoundStream, State.AccountState?> pending, State.AccountRow? row)
    {
        AccountId = accountId;
        IsPlatform = isPlatform;
        _shared = shared;
        _cursors = new int[shared.Streams.Count * CursorsPerBinding];
        Array.Fill(_cursors, Absent);
        foreach (var binding in shared.Streams)
        {
            var fromRow = row is not null && binding.ColumnIndex >= 0 ? row.StateOf(binding.ColumnIndex, binding.Column) : null;
            // The slot keeps the column as last checkpointed while a pending entry takes precedence.
            var folded = Store(binding, fromRow ?? new State.AccountState());
            if (pending(binding) is { } progress)
            {
                Live(binding.Index, new AccountBinding(binding, this, progress));
            }
            else if (!folded)
            {
                Live(binding.Index, new AccountBinding(binding, this, fromRow!));
            }
        }
    }

    public string AccountId { get; }

    /// <summary>The capture's, held here for the account's bindings rather than by each of them.</summary>
    public CaptureContext Context => _shared.Context;

    /// <summary>
    /// Guards the account's and its bindings' state (reentrant: a split holds it across a binding's): one lock per
    /// account rather than per binding keeps an idle binding small, and the monitor of an array the account has
    /// anyway rather than a <see cref="Lock"/> of its own saves 48 bytes an account (a monitor takes memory only
    /// while contended).
    /// </summary>
    public object Gate => _cursors;

    public bool IsPlatform { get; }

    /// <summary>The account a request is made for: null for the platform's own (the client's default).</summary>
    public string? RequestAccount => IsPlatform ? null : AccountId;

    /// <summary>The <c>"account_id":"…"</c> member added to each document when connected accounts are captured; empty otherwise.</summary>
    public byte[] Member => Context.Config.CaptureConnectedAccounts ? DocumentLines.StringMember(SourceStripe.Streams.StreamCatalog.AccountField, AccountId) : [];

    /// <summary>" of acct_…" for log lines when several accounts are captured; empty otherwise.</summary>
    public string Of => Context.Config.CaptureConnectedAccounts ? " of " + AccountId : "";

    /// <summary>The bound streams, in the order of the open request's bindings: <c>Streams[b.Index]</c> is b.</summary>
    public IReadOnlyList<BoundStream> Streams => _shared.Streams;

    private EventRoutes Routes => _shared.Routes;

    public bool IsActive => !_disconnected;

    /// <summary>Starts each binding: over again if its events expired; its pending ranges, or its next plan when due.</summary>
    public async Task StartAsync(CancellationToken stop)
    {
        foreach (var binding in Streams)
        {
            await CheckRetentionAsync(binding.Index, stop).ConfigureAwait(false);
        }
        ContinueAll();
    }

    /// <summary>
    /// Whether <paramref name="error"/>, met reading <paramref name="binding"/> (null: the account's events),
    /// is this connected account's to bear rather than the capture's: it then sets the stream or the whole
    /// account aside, saying so once, and the unit ends quietly.
    /// </summary>
    public bool Absorbs(AccountBinding? binding, Exception error)
    {
        if (IsPlatform || Unwrap(error) is not StripeApiException { IsTransient: false } refused)
        {
            return false;
        }
        var status = refused.Status;
        var lostAccount = status == HttpStatusCode.Unauthorized || refused.Error?.Code == "account_invalid";
        var needs = binding is null ? null : binding.Stream.Needs ?? binding.Listed.Needs;
        if (!lostAccount && needs is not null && status is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden)
        {
            binding!.Skip($"it needs {needs.Description}, which Stripe says this account does not have ({(int)status}: {refused.Error?.Message})");
            return true;
        }
        if (lostAccount || status == HttpStatusCode.Forbidden)
        {
            Disconnect($"Stripe answered {(int)status}{(refused.Error is { Message.Length: > 0 } e ? ": " + e.Message : "")}");
            return true;
        }
        return false;
    }

    /// <summary>Sets the account aside (warning once per run): its units end, its state stays as it is.</summary>
    public void Disconnect(string why)
    {
        bool warn;
        lock (Gate)
        {
            _disconnected = true;
            warn = !_warned;
            _warned = true;
        }
        if (warn)
        {
            Log.Warn($"Skipping connected account {AccountId}: {why}. It was disconnected from the platform or the key lost access to it; "
                + "its progress is kept, and its capture resumes if it connects again");
        }
    }

    /// <summary>
    /// The account is listed, or <paramref name="authorized"/> the platform again: its bindings continue from
    /// their state. A listed account may still refuse (a key without access to it stays listed): it is then
    /// set aside again, quietly.
    /// </summary>
    public void Resume(bool authorized)
    {
        lock (Gate)
        {
            if (!_disconnected)
            {
                return;
            }
            _disconnected = false;
        }
        Log.Write(authorized ? LogLevel.Info : LogLevel.Debug, $"Resuming connected account {AccountId}", []);
        ContinueAll();
    }

    /// <summary>Continues each binding with work (see <see cref="AccountBinding.Continue"/>), then times the next plan or events read.</summary>
    private void ContinueAll()
    {
        foreach (var binding in LiveBindings())
        {
            binding.Continue();
        }
        ScheduleWake();
    }

    /// <summary>Splits a range of the binding whose turn it is, round robin among the account's bindings whose endpoint has room.</summary>
    public WorkUnit? TrySplit(Predicate<RequestEndpoint> hasRoom)
    {
        if (!IsActive)
        {
            return null;
        }
        lock (Gate)
        {
            // Only a binding with work has a range to split: the folded ones are skipped.
            for (var i = 0; _live is not null && i < _live.Length; i++)
            {
                if (_live[(_turn + i) % _live.Length]?.TrySplit(hasRoom) is { } unit)
                {
                    _turn = (byte)((_turn + i + 1) % _live.Length);
                    return unit;
                }
            }
        }
        return null;
    }

    /// <summary>A binding has a range worth splitting: the account queues for idle capacity.</summary>
    public void Splittable() => _shared.Splittable(this);

    private static Exception Unwrap(Exception error) => error is AggregateException { InnerExceptions.Count: 1 } one ? Unwrap(one.InnerExceptions[0]) : error;
}

/// <summary>
/// What every account of a capture shares, held once for all of them rather than by each (an idle account is
/// counted in bytes): the capture's context, the bound streams, the events routes, and where an account with a
/// range worth splitting queues for idle capacity.
/// </summary>
public sealed record SharedByAccounts(CaptureContext Context, IReadOnlyList<BoundStream> Streams, EventRoutes Routes, Action<AccountCapture> Splittable);
