using SourceStripe.Capture.Reading;

namespace SourceStripe.Capture.Accounts;

/// <summary>Where an account stands, for the capture's status: read from its slots, nothing kept for it.</summary>
public enum AccountStanding
{
    /// <summary>Every binding backfilled: its changes come from polls and events.</summary>
    CaughtUp,

    /// <summary>A binding's first backfill is under way or not begun.</summary>
    Backfilling,

    /// <summary>Stripe refuses the account (disconnected, or the key lost access to it).</summary>
    SetAside,
}

public sealed partial class AccountCapture
{
    /// <summary>
    /// Where the account stands, and the time (unix seconds) up to which its events are read: the oldest events cursor
    /// of its bindings that follow events; null when none has one (none follows events, or none has begun).
    /// </summary>
    public (AccountStanding Standing, long? EventsReadUpTo) Standing()
    {
        lock (Gate)
        {
            if (!IsActive)
            {
                return (AccountStanding.SetAside, null);
            }
            var backfilling = false;
            long? readUpTo = null;
            for (var i = 0; i < Streams.Count; i++)
            {
                if (IsSkipped(i))
                {
                    continue;
                }
                var live = _live?[i];
                // A folded binding that never ran has its first backfill ahead of it.
                backfilling |= live is null ? StoredLastRun(i) is null : RangePlanner.IsBackfilling(live.State);
                if (Streams[i].ListensToEvents && (live is null ? StoredEvents(i) : live.State.Events) is { } cursor)
                {
                    readUpTo = Math.Min(readUpTo ?? cursor, cursor);
                }
            }
            return (backfilling ? AccountStanding.Backfilling : AccountStanding.CaughtUp, readUpTo);
        }
    }
}
