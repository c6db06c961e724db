using System.Globalization;
using SourceStripe.Logging;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// Whether the capture keeps up, at a glance: how many accounts are caught up, backfilling or set aside, and how far
/// behind the caught-up account whose events are read least far is. Written every few minutes as the status Flow
/// shows and as a log line with the same figures.
/// </summary>
public sealed record AccountsStatus(int CaughtUp, int Backfilling, int SetAside, TimeSpan? OldestLag, string? OldestAccount, TimeSpan? PollBound)
{
    /// <summary>
    /// The status of <paramref name="accounts"/> at <paramref name="now"/>, each account's events polled at least every
    /// <paramref name="pollBound"/> (null: they are not polled).
    /// </summary>
    public static AccountsStatus Of(IEnumerable<AccountCapture> accounts, DateTimeOffset now, TimeSpan? pollBound)
    {
        int caughtUp = 0, backfilling = 0, setAside = 0;
        long? oldest = null;
        string? oldestAccount = null;
        foreach (var account in accounts)
        {
            var (standing, readUpTo) = account.Standing();
            switch (standing)
            {
                case AccountStanding.SetAside:
                    setAside++;
                    break;
                case AccountStanding.Backfilling:
                    backfilling++;
                    break;
                default:
                    caughtUp++;
                    // A backfilling account's events wait for its backfill: its lag says nothing of the polls.
                    if (readUpTo is { } upTo && (oldest is null || upTo < oldest))
                    {
                        (oldest, oldestAccount) = (upTo, account.AccountId);
                    }
                    break;
            }
        }
        var lag = oldest is { } o ? now - DateTimeOffset.FromUnixTimeSeconds(o) : (TimeSpan?)null;
        return new AccountsStatus(caughtUp, backfilling, setAside, lag is { } l && l < TimeSpan.Zero ? TimeSpan.Zero : lag, oldestAccount, pollBound);
    }

    public int Accounts => CaughtUp + Backfilling + SetAside;

    /// <summary>One sentence for a person: the counts, the oldest lag and the bound.</summary>
    public string Message
    {
        get
        {
            var text = $"{Count(Accounts)} account{(Accounts == 1 ? "" : "s")}: {Count(CaughtUp)} caught up, {Count(Backfilling)} backfilling, {Count(SetAside)} set aside";
            if (OldestLag is { } lag)
            {
                text += $"; events read up to {Say(lag)} ago at the oldest ({OldestAccount})";
            }
            return PollBound is { } bound ? text + $"; every account's events polled at least every {Say(bound)}" : text;
        }
    }

    /// <summary>Writes the status line (a <c>connectorStatus</c>, which is also a log line with the figures as fields).</summary>
    public void Write() => Log.Write(LogLevel.Info, Message,
        [("accounts_caught_up", CaughtUp), ("accounts_backfilling", Backfilling), ("accounts_set_aside", SetAside),
            ("oldest_events_lag", OldestLag), ("oldest_events_lag_account", OldestAccount), ("events_poll_bound", PollBound)],
        connectorStatus: true);

    private static string Count(int count) => count.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>A duration as a person reads it: "45 s", "6 min 10 s", "1 h 7 min", "2 d 3 h".</summary>
    public static string Say(TimeSpan span)
    {
        var seconds = (long)Math.Round(span.TotalSeconds);
        return seconds switch
        {
            < 60 => $"{seconds} s",
            < 3600 => Two(seconds / 60, "min", seconds % 60, "s"),
            < 86_400 => Two(seconds / 3600, "h", seconds / 60 % 60, "min"),
            _ => Two(seconds / 86_400, "d", seconds / 3600 % 24, "h"),
        };
    }

    private static string Two(long first, string firstUnit, long second, string secondUnit) =>
        second == 0 ? $"{first} {firstUnit}" : $"{first} {firstUnit} {second} {secondUnit}";
}
