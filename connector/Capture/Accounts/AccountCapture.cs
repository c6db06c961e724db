using System.Net;
using System.Text.Json;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>
/// One Stripe account's capture: a binding per bound stream, its own events reader, and whether it can be
/// read at all. A connected account that Stripe refuses (it disconnected, or the key lost access to it) is
/// set aside with one warning, its progress kept, and resumed if it connects again; one that lacks what a
/// stream needs skips that stream. The platform has no such leniency: its refusals fail the capture.
/// </summary>
public sealed class AccountCapture
{
    private readonly Lock _lock = new();
    private readonly Action<AccountCapture> _splittable;
    private int _turn;
    private volatile bool _disconnected;
    private bool _warned;
    /// <summary>
    /// The account's row as last checkpointed (<see cref="AccountRow"/>): what its pending bindings' columns keep.
    /// As the JSON a checkpoint writes, in UTF-8: every account of a large platform holds one.
    /// </summary>
    private byte[]? _row;

    public AccountCapture(CaptureContext context, string accountId, bool isPlatform, IReadOnlyList<BoundStream> bindings, EventRoutes routes,
        Func<BoundStream, AccountState?> pending, AccountRow? row, Action<AccountCapture> splittable)
    {
        AccountId = accountId;
        IsPlatform = isPlatform;
        Context = context;
        _splittable = splittable;
        var named = context.Config.CaptureConnectedAccounts;
        Member = named ? DocumentLines.StringMember(Streams.StreamCatalog.AccountField, accountId) : [];
        Of = named ? " of " + accountId : "";
        _row = row is null ? null : Encode(row);
        Bindings = [.. bindings.Select(b => new AccountBinding(b, this, pending(b), row?.StateOf(b.ColumnIndex, b.Column)))];
        Events = new EventsReader(context, routes, this);
    }

    public string AccountId { get; }

    /// <summary>
    /// The account's row with the cursors of every binding that has nothing pending as they stand now; a binding
    /// with a range pending keeps the column it was last checkpointed with (its entry in the binding's state takes
    /// precedence until it catches up again, and its cursor may already be past that range). Call under <see cref="Gate"/>.
    /// </summary>
    internal AccountRow? Row()
    {
        var layout = Context.Columns;
        var committed = _row is null ? null : AccountRow.Read(JsonDocument.Parse(_row).RootElement);
        var columns = new AccountState?[layout.Count];
        for (var c = 0; c < layout.Count; c++)
        {
            columns[c] = layout[c] is { } column ? committed?.StateOf(c, column) : null;
        }
        foreach (var binding in Bindings)
        {
            if (binding.CaughtUp is { } state)
            {
                columns[binding.Binding.ColumnIndex] = state;
            }
        }
        var row = AccountRow.From(columns, layout);
        _row = row is null ? null : Encode(row);
        return row;
    }

    private static byte[] Encode(AccountRow row)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            row.Write(json);
        }
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>The capture's, held here for the account's bindings rather than by each of them.</summary>
    internal CaptureContext Context { get; }

    /// <summary>
    /// Guards the account's and its bindings' state (reentrant: a split holds it across a binding's): one lock per
    /// account rather than per binding keeps an idle binding small.
    /// </summary>
    internal Lock Gate => _lock;

    public bool IsPlatform { get; }

    /// <summary>The account a request is made for: null for the platform's own (the client's default).</summary>
    public string? RequestAccount => IsPlatform ? null : AccountId;

    /// <summary>The <c>"account_id":"…"</c> member added to each document when connected accounts are captured; empty otherwise.</summary>
    public byte[] Member { get; }

    /// <summary>" of acct_…" for log lines when several accounts are captured; empty otherwise.</summary>
    public string Of { get; }

    /// <summary>In the order of the open request's bindings: <c>Bindings[b.Index]</c> is bound stream b's.</summary>
    public IReadOnlyList<AccountBinding> Bindings { get; }

    public EventsReader Events { get; }

    public bool IsActive => !_disconnected;

    /// <summary>Starts each binding, then the events reader after <paramref name="eventsDelay"/> (accounts take turns within an interval).</summary>
    public async Task StartAsync(TimeSpan eventsDelay, bool readEvents, CancellationToken stop)
    {
        foreach (var binding in Bindings)
        {
            await binding.StartAsync(stop).ConfigureAwait(false);
        }
        if (readEvents)
        {
            Events.Start(eventsDelay);
        }
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
        lock (_lock)
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
        lock (_lock)
        {
            if (!_disconnected)
            {
                return;
            }
            _disconnected = false;
        }
        Log.Write(authorized ? LogLevel.Info : LogLevel.Debug, $"Resuming connected account {AccountId}", []);
        foreach (var binding in Bindings)
        {
            binding.Continue();
        }
    }

    /// <summary>Splits a range of the binding whose turn it is, round robin among the account's bindings whose endpoint has room.</summary>
    public WorkUnit? TrySplit(Predicate<RequestEndpoint> hasRoom)
    {
        if (!IsActive)
        {
            return null;
        }
        lock (_lock)
        {
            for (var i = 0; i < Bindings.Count; i++)
            {
                if (Bindings[(_turn + i) % Bindings.Count].TrySplit(hasRoom) is { } unit)
                {
                    _turn = (_turn + i + 1) % Bindings.Count;
                    return unit;
                }
            }
        }
        return null;
    }

    /// <summary>A binding has a range worth splitting: the account queues for idle capacity.</summary>
    public void Splittable() => _splittable(this);

    private static Exception Unwrap(Exception error) => error is AggregateException { InnerExceptions.Count: 1 } one ? Unwrap(one.InnerExceptions[0]) : error;
}
