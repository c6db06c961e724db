namespace SourceStripe.Capture.Events;

/// <summary>
/// Which account's events to poll next, and when: the order of a capture's events polls, paced at what the capture
/// can afford (one poll every <see cref="Gap"/>). Accounts are numbered slots; the plan knows nothing else of them.
/// </summary>
/// <remarks>
/// <para>
/// Every account waits in one line ordered by when it was last polled; a polled account goes to the back. Polls go, in
/// this order, to: the head once it has waited <see cref="Bound"/> less a few gaps (its turn cannot wait longer); a
/// prompt account (its last poll found events, or a webhook named it) an interval after its last poll, the earliest due
/// first, for at most a quarter of the polls while others wait their turn; an account not polled yet, in the order
/// they came; the head an interval after its last poll.
/// </para>
/// <para>
/// Why the bound holds: polls start at most one a gap, so accounts reach the head's deadline at most one a gap, each
/// polled within a gap or two; and three quarters of the polls, at least, go round the line, first polls included.
/// </para>
/// <para>
/// Per account: a last-poll time, the line's two links and a byte of flags, in arrays (13 bytes; 1.3 MB for 100,000
/// accounts). Not thread-safe: its owner locks.
/// </para>
/// </remarks>
public sealed class EventsPlan(DateTimeOffset origin, TimeSpan gap)
{
    private const byte InFlight = 1;
    private const byte Prompt = 2;
    private const byte Queued = 4;
    private const byte Fresh = 8;
    private const int None = -1;
    /// <summary>Times are kept in tenths of a second from <c>origin</c>: an int reaches 6.8 years.</summary>
    private const long TicksPerTenth = TimeSpan.TicksPerSecond / 10;
    /// <summary>Gaps by which the head's deadline comes before the bound: what pacing and a poll's start may add.</summary>
    private const int GapsOfMargin = 3;

    private int[] _lastPoll = [];
    private int[] _next = [];
    private int[] _previous = [];
    private byte[] _flags = [];
    private int _head = None;
    private int _tail = None;
    /// <summary>Prompt accounts by the time they are due (tenths); an entry may be stale, checked when it comes up.</summary>
    private readonly PriorityQueue<int, int> _prompt = new();
    /// <summary>Slots below this one have all been polled: slots are given in the order accounts come, first polls in that order.</summary>
    private int _firstUnpolled;
    /// <summary>
    /// Prompt polls earned, in thirds: a poll in turn earns one, a prompt poll costs <see cref="PromptCost"/> while an
    /// account waits for its turn, so that prompt accounts take at most a quarter of the rate from the others.
    /// </summary>
    private int _promptCredit;
    private const int PromptCost = 3;
    /// <summary>Prompt polls that may go back to back: four.</summary>
    private const int PromptCreditCap = 4 * PromptCost;
    /// <summary>The earliest the next poll may start (UTC ticks): one gap after the last.</summary>
    private long _nextStart;

    /// <summary>The time between two polls' starts: requests a poll makes ÷ the requests a second the capture affords its events.</summary>
    public TimeSpan Gap => gap;

    public int Count { get; private set; }

    /// <summary>
    /// The longest any account waits between two polls (with polls of <paramref name="interval"/>, the shortest they
    /// may come): the longer of the interval and the time three quarters of the rate take to poll every account,
    /// plus the pacing's margin.
    /// </summary>
    public TimeSpan Bound(TimeSpan interval) => Deadline(interval) + (gap * GapsOfMargin);

    /// <summary>How long the account at the head may wait before its poll comes before prompt accounts'.</summary>
    private TimeSpan Deadline(TimeSpan interval) => TimeSpan.FromTicks(Math.Max(interval.Ticks, gap.Ticks * Count * 4 / 3));

    /// <summary>A new account, its first poll due at once (after prompt accounts'); returns its slot.</summary>
    public int Add(DateTimeOffset now)
    {
        if (Count == _lastPoll.Length)
        {
            // Grown by a quarter rather than doubled: an account's bytes here count against its 1 KB.
            var capacity = Math.Max(1024, Count + (Count / 4));
            Array.Resize(ref _lastPoll, capacity);
            Array.Resize(ref _next, capacity);
            Array.Resize(ref _previous, capacity);
            Array.Resize(ref _flags, capacity);
        }
        var slot = Count++;
        _lastPoll[slot] = Tenths(now);
        _flags[slot] = Fresh;
        Append(slot);
        return slot;
    }

    /// <summary>
    /// The next account to poll now (its poll has started: call <see cref="Ended"/> when it ends; ask again at once
    /// for another), or -1 and when to ask again. <paramref name="idle"/> tells an account that has nothing to poll
    /// (set aside): it goes to the back without using the rate.
    /// </summary>
    public int Next(DateTimeOffset now, TimeSpan interval, Predicate<int> idle, out DateTimeOffset askAgain)
    {
        if (_nextStart > now.UtcTicks)
        {
            askAgain = new DateTimeOffset(_nextStart, TimeSpan.Zero);
            return None;
        }
        // Unused when a poll starts: the caller asks at once for another.
        askAgain = now;
        var at = Tenths(now);
        var every = Tenths(interval);
        var deadline = Tenths(Deadline(interval));
        // Each account is passed over at most once: a line of idle or running accounts ends the search.
        for (var passed = 0; _head != None && passed < Count; passed++)
        {
            var head = _head;
            if ((_flags[head] & InFlight) != 0 || idle(head))
            {
                // Being read now, or nothing to read: as if polled now.
                MoveToBack(head, at);
                continue;
            }
            if (at - _lastPoll[head] >= deadline)
            {
                return StartInTurn(head, now);
            }
            break;
        }
        var prompt = DuePrompt(at, every, idle);
        var turn = FirstUnpolled(idle) is var first and not None ? first
            : _head != None && at - _lastPoll[_head] >= every && (_flags[_head] & InFlight) == 0 ? _head : None;
        if (prompt != None && (turn == None || _promptCredit >= PromptCost))
        {
            _promptCredit = Math.Max(0, _promptCredit - PromptCost);
            return Start(prompt, now);
        }
        if (turn != None)
        {
            return StartInTurn(turn, now);
        }
        var next = _head == None ? int.MaxValue : _lastPoll[_head] + every;
        if (EarliestPrompt(every) is { } promptDue)
        {
            next = Math.Min(next, promptDue);
        }
        askAgain = next == int.MaxValue ? DateTimeOffset.MaxValue : Time(Math.Max(next, at + 1));
        return None;
    }

    /// <summary>
    /// A webhook named the account: it becomes prompt, its next poll due an interval after its last; returns when
    /// that is, or null while it is being read (its poll's end queues it).
    /// </summary>
    public DateTimeOffset? Named(int slot, TimeSpan interval)
    {
        _flags[slot] |= Prompt;
        return QueuePrompt(slot, interval);
    }

    /// <summary>
    /// The account's poll ended: it stays prompt if the poll found events (or a webhook named it meanwhile); returns
    /// when its next poll is due if it is.
    /// </summary>
    public DateTimeOffset? Ended(int slot, bool foundEvents, TimeSpan interval)
    {
        _flags[slot] &= unchecked((byte)~InFlight);
        if (foundEvents)
        {
            _flags[slot] |= Prompt;
        }
        return (_flags[slot] & Prompt) != 0 ? QueuePrompt(slot, interval) : null;
    }

    /// <summary>Queues a prompt account (once: an entry it has already is brought up to date when it comes up); returns when it is due.</summary>
    private DateTimeOffset? QueuePrompt(int slot, TimeSpan interval)
    {
        if ((_flags[slot] & InFlight) != 0)
        {
            return null;
        }
        var due = _lastPoll[slot] + Tenths(interval);
        if ((_flags[slot] & Queued) == 0)
        {
            Enqueue(slot, due);
        }
        return Time(due);
    }

    /// <summary>Starts a poll of an account in its turn (its first, or the line's head), which earns prompt accounts a third of one.</summary>
    private int StartInTurn(int slot, DateTimeOffset now)
    {
        _promptCredit = Math.Min(PromptCreditCap, _promptCredit + 1);
        return Start(slot, now);
    }

    private int Start(int slot, DateTimeOffset now)
    {
        // A turn that came late may catch up one gap, no more: starts stay at most one a gap over any stretch.
        _nextStart = Math.Max(_nextStart, now.UtcTicks - gap.Ticks) + gap.Ticks;
        _flags[slot] = (byte)((_flags[slot] & Queued) | InFlight);
        MoveToBack(slot, Tenths(now));
        return slot;
    }

    /// <summary>The prompt account due first if it is due by <paramref name="at"/>, else -1; prompt accounts set aside meanwhile stop being prompt.</summary>
    private int DuePrompt(int at, int every, Predicate<int> idle)
    {
        while (EarliestPrompt(every) is { } due && due <= at)
        {
            var slot = _prompt.Peek();
            if (!idle(slot))
            {
                return slot;
            }
            _flags[slot] &= unchecked((byte)~Prompt);
        }
        return None;
    }

    /// <summary>When the prompt account due first is due (its entry at the top), dropping stale entries (no longer prompt, being read, polled since).</summary>
    private int? EarliestPrompt(int every)
    {
        while (_prompt.TryPeek(out var slot, out var due))
        {
            var flags = _flags[slot];
            if ((flags & Prompt) == 0 || (flags & InFlight) != 0)
            {
                _prompt.Dequeue();
                _flags[slot] &= unchecked((byte)~Queued);
                continue;
            }
            var actual = _lastPoll[slot] + every;
            if (actual != due)
            {
                // Polled in its turn since it was queued, or the interval changed.
                _prompt.DequeueEnqueue(slot, actual);
                continue;
            }
            return due;
        }
        return null;
    }

    /// <summary>The first account not polled yet, or -1; those set aside meanwhile wait for their turn in the line.</summary>
    private int FirstUnpolled(Predicate<int> idle)
    {
        for (; _firstUnpolled < Count; _firstUnpolled++)
        {
            if ((_flags[_firstUnpolled] & Fresh) == 0)
            {
                continue;
            }
            if (!idle(_firstUnpolled))
            {
                return _firstUnpolled;
            }
            _flags[_firstUnpolled] &= unchecked((byte)~Fresh);
        }
        return None;
    }

    private void Enqueue(int slot, int due)
    {
        _flags[slot] |= Queued;
        _prompt.Enqueue(slot, due);
    }

    private void MoveToBack(int slot, int at)
    {
        _lastPoll[slot] = at;
        if (slot == _tail)
        {
            return;
        }
        var (previous, next) = (_previous[slot], _next[slot]);
        if (previous == None)
        {
            _head = next;
        }
        else
        {
            _next[previous] = next;
        }
        _previous[next] = previous;
        Append(slot);
    }

    private void Append(int slot)
    {
        _previous[slot] = _tail;
        _next[slot] = None;
        if (_tail == None)
        {
            _head = slot;
        }
        else
        {
            _next[_tail] = slot;
        }
        _tail = slot;
    }

    private int Tenths(DateTimeOffset time) => Tenths(time - origin);

    private static int Tenths(TimeSpan span) => (int)Math.Clamp(span.Ticks / TicksPerTenth, 0, int.MaxValue);

    private DateTimeOffset Time(long tenths) => origin + TimeSpan.FromTicks(tenths * TicksPerTenth);
}
