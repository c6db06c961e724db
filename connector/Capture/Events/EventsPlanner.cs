using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Logging;

namespace SourceStripe.Capture.Events;

/// <summary>
/// Starts the accounts' events polls as the capture can afford them, in the order <see cref="EventsPlan"/> gives, and
/// says every few minutes whether the capture keeps up (<see cref="AccountsStatus"/>). One timed unit on the scheduler
/// starts the polls that are due and times itself for the next, rather than one timer per account.
/// </summary>
/// <remarks>
/// Affordable: the events endpoint's limit (Stripe documents no budget of a connected account's own, so all accounts'
/// <c>GET /v1/events</c> may count as one endpoint), and at most half the key's rate, the rest left to backfills and
/// polls. A poll makes one request per group of 20 event types (<see cref="EventRoutes.Requests"/>).
/// </remarks>
public sealed class EventsPlanner
{
    /// <summary>How often the status is written, after a first one a minute in.</summary>
    private static readonly TimeSpan StatusEvery = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan FirstStatus = TimeSpan.FromMinutes(1);

    private readonly Lock _lock = new();
    private readonly CaptureContext _context;
    private readonly EventRoutes _routes;
    private readonly TimeSpan _normalInterval;
    private readonly EventsPlan _plan;
    /// <summary>Every account of the capture, by its <see cref="AccountCapture.EventsSlot"/>, which is its slot in the plan too.</summary>
    private AccountCapture[] _accounts = [];
    private int _count;
    /// <summary>The time of the earliest turn queued; null when none is.</summary>
    private DateTimeOffset? _turnDue;

    public EventsPlanner(CaptureContext context, EventRoutes routes)
    {
        _context = context;
        _routes = routes;
        _normalInterval = routes.Listeners.Count > 0 ? routes.Listeners.Min(b => b.Interval) : TimeSpan.Zero;
        var advanced = context.Config.Advanced;
        RequestsPerSecond = Math.Min(advanced.RequestsPerSecondPerEndpoint, advanced.RequestsPerSecond(context.Config.ClientSecret) / 2.0);
        _plan = new EventsPlan(context.Clock.GetUtcNow(), TimeSpan.FromSeconds(Math.Max(1, routes.Requests.Count) / RequestsPerSecond));
    }

    /// <summary>The requests a second the capture affords its events polls.</summary>
    public double RequestsPerSecond { get; }

    /// <summary>Which bindings each event type concerns, the same for every account.</summary>
    public EventRoutes Routes => _routes;

    /// <summary>Whether accounts' events are polled: some binding follows them, and the capture runs until stopped (a one-shot one reads them once at its end).</summary>
    private bool Polls => _routes.Listeners.Count > 0 && !_context.StopWhenCaughtUp;

    /// <summary>The time between an account's polls when the capture can afford them: the bindings', longer while webhooks arrive.</summary>
    private TimeSpan Interval => _context.EventsInterval(_normalInterval);

    /// <summary>The longest an account waits between two polls of its events, with the accounts added so far.</summary>
    public TimeSpan Bound
    {
        get { lock (_lock) { return _plan.Bound(Interval); } }
    }

    /// <summary>Counts the account in the status and plans its events polls, its first at once.</summary>
    public void Add(AccountCapture account)
    {
        DateTimeOffset now;
        lock (_lock)
        {
            if (_count == _accounts.Length)
            {
                // Grown by a quarter rather than doubled: an account's bytes here count against its 1 KB.
                Array.Resize(ref _accounts, Math.Max(1024, _count + (_count / 4)));
            }
            _accounts[_count] = account;
            account.EventsSlot = _count++;
            if (!Polls)
            {
                return;
            }
            now = _context.Clock.GetUtcNow();
            _plan.Add(now);
        }
        ScheduleTurn(now);
    }

    /// <summary>A webhook named the account: its events are polled ahead of idle accounts'.</summary>
    public void Named(AccountCapture account)
    {
        DateTimeOffset? due;
        lock (_lock)
        {
            if (account.EventsSlot < 0 || !Polls)
            {
                return;
            }
            due = _plan.Named(account.EventsSlot, Interval);
        }
        if (due is { } at)
        {
            ScheduleTurn(at);
        }
    }

    /// <summary>The account's poll ended, having found events or not.</summary>
    public void Ended(AccountCapture account, bool foundEvents)
    {
        DateTimeOffset? due;
        lock (_lock)
        {
            due = _plan.Ended(account.EventsSlot, foundEvents, Interval);
        }
        if (due is { } at)
        {
            ScheduleTurn(at);
        }
    }

    /// <summary>
    /// The accounts found at the start are added: says how often each account's events are polled at the least, then
    /// writes the status every few minutes (unless the capture is one-shot: a timed unit would keep it from ending).
    /// </summary>
    public void Started()
    {
        if (_context.StopWhenCaughtUp)
        {
            return;
        }
        if (Polls)
        {
            var (accounts, bound) = (_plan.Count, Bound);
            Log.Info($"Polling the events of {accounts:N0} account{(accounts == 1 ? "" : "s")} at up to {RequestsPerSecond:0.#} requests a second: each account's at least every {AccountsStatus.Say(bound)}, "
                + $"those whose last poll found events or that a webhook named every {AccountsStatus.Say(Interval)} while the rate allows",
                ("accounts", accounts), ("events_requests_per_second", RequestsPerSecond), ("events_poll_bound", bound));
        }
        ScheduleStatus(_context.Clock.GetUtcNow() + FirstStatus);
    }

    /// <summary>Where the capture's accounts stand now.</summary>
    public AccountsStatus Status()
    {
        AccountCapture[] accounts;
        int count;
        lock (_lock)
        {
            (accounts, count) = (_accounts, _count);
        }
        // Outside the lock: each account is read under its own.
        return AccountsStatus.Of(accounts.Take(count), _context.Clock.GetUtcNow(), Polls ? Bound : null);
    }

    private void ScheduleStatus(DateTimeOffset at) =>
        _context.Scheduler.EnqueueAt(at, new DelegateUnit("the capture's status", isBackfill: false, cursor: 0, _ =>
        {
            Status().Write();
            ScheduleStatus(_context.Clock.GetUtcNow() + StatusEvery);
            return Task.CompletedTask;
        }));

    /// <summary>Queues a turn at <paramref name="at"/>, unless one at or before it is queued.</summary>
    private void ScheduleTurn(DateTimeOffset at)
    {
        lock (_lock)
        {
            if (_turnDue is { } queued && queued <= at)
            {
                return;
            }
            _turnDue = at;
        }
        _context.Scheduler.EnqueueAt(at, new Turn(this, at));
    }

    /// <summary>Starts the polls due now, as many as the rate allows, and times the next turn.</summary>
    private void Take(DateTimeOffset due)
    {
        var start = new List<AccountCapture>();
        DateTimeOffset next;
        lock (_lock)
        {
            if (_turnDue == due)
            {
                _turnDue = null;
            }
            var now = _context.Clock.GetUtcNow();
            var accounts = _accounts;
            int slot;
            while ((slot = _plan.Next(now, Interval, s => !accounts[s].IsActive, out next)) >= 0)
            {
                start.Add(accounts[slot]);
            }
        }
        foreach (var account in start)
        {
            _context.Scheduler.Enqueue(new EventsReader(_context, _routes, account, this).Begin());
        }
        if (next != DateTimeOffset.MaxValue)
        {
            ScheduleTurn(next);
        }
    }

    /// <summary>The planner's one timed entry.</summary>
    private sealed class Turn(EventsPlanner planner, DateTimeOffset due) : WorkUnit
    {
        public override bool IsBackfill => false;

        public override long Cursor => 0;

        public override string What => "the events polls' turn";

        public override Task RunAsync(CancellationToken stop)
        {
            planner.Take(due);
            return Task.CompletedTask;
        }
    }
}
