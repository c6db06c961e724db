using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Streams;

namespace SourceStripe.Capture.Reading;

/// <summary>
/// Decides which <c>created</c> ranges an account's binding reads: the first backfill, each incremental
/// poll (from the cursor less the lookback window) or full-refresh pass, and the split of a long range in
/// two so that idle capacity reads its older half at the same time.
/// </summary>
public static class RangePlanner
{
    public const string BackfillKey = "backfill";
    public const string PollKey = "poll";
    public const string PassKey = "pass";

    /// <summary>Ranges shorter than this are not split further.</summary>
    private const long MinSliceSeconds = 60;

    /// <summary>Whether the first backfill is still under way, in any of its slices.</summary>
    public static bool IsBackfilling(AccountState state) => state.PendingRanges.Keys.Any(IsBackfillRange);

    public static bool IsBackfillRange(string key) => key.StartsWith(BackfillKey, StringComparison.Ordinal);

    /// <summary>Adds the next range to read to <paramref name="state"/>: the first backfill, an incremental poll, or a full-refresh pass.</summary>
    public static void PlanNext(AccountState state, BoundStream binding, CaptureContext context, bool listensToEvents, string of = "")
    {
        var config = context.Config;
        var stream = binding.Stream;
        var isEvents = ReferenceEquals(stream, StreamCatalog.Events);
        var now = context.Clock.GetUtcNow();
        var lookback = (long)TimeSpan.FromDays(config.LookbackWindowDays).TotalSeconds;
        var start = config.StartDate.ToUnixTimeSeconds();
        var from = start - lookback;
        if (isEvents)
        {
            // Stripe keeps events for 30 days: older ones cannot be read however early start_date is. Those
            // that expire while the backfill runs end it with Stripe's retention error.
            from = Math.Max(from, (now - CaptureContext.EventRetention).ToUnixTimeSeconds());
        }
        var lag = isEvents ? config.Advanced.EventLag : config.Advanced.ListLag;
        var upper = (now - lag).ToUnixTimeSeconds();
        state.LastRun = now.ToUnixTimeSeconds();
        if (binding.Mode == SyncMode.FullRefresh)
        {
            state.Pending[PassKey] = new RangeState { Gte = start, Lt = upper };
            Log.Info($"Starting a full pass of {stream.Name}{of}", ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else if (state.Cursor is not { } cursor)
        {
            // The first backfill: its upper bound is fixed now, so objects created meanwhile are left to
            // polling, and changes from then on are left to events.
            state.Pending[BackfillKey] = new RangeState { Gte = from, Lt = upper };
            state.Cursor = upper;
            // Objects are read from now on: events of this second or later may not show in them.
            state.Events = listensToEvents ? now.ToUnixTimeSeconds() - 1 : null;
            Log.Info($"Backfilling {stream.Name}{of}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(from)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else if (!binding.Stream.Listed.HasCreatedFilter)
        {
            // A list without created filters cannot be polled for what is new: its events bring it (the
            // backfill set their cursor before it began).
            return;
        }
        else
        {
            var pollFrom = Math.Max(cursor - lookback, from);
            if (upper > pollFrom)
            {
                state.Pending[PollKey] = new RangeState { Gte = pollFrom, Lt = upper };
                state.Cursor = Math.Max(cursor, upper);
                Log.Debug($"Polling {stream.Name}{of}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(pollFrom)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
            }
        }
    }

    /// <summary>
    /// Splits the range among <paramref name="candidates"/> (with the created time each has been read down
    /// to) with the most time left to read: it keeps its newer half and its position (it is read newest
    /// first), the older half becomes a new range, whose key is returned with the split one's; null when no
    /// range is worth splitting.
    /// </summary>
    public static (string Split, string Created)? Split(AccountState state, IReadOnlyDictionary<string, long> candidates)
    {
        var largest = state.PendingRanges
            .Where(p => p.Value is not null && candidates.ContainsKey(p.Key))
            .Select(p => (p.Key, Range: p.Value!, Left: Math.Min(candidates[p.Key], p.Value!.AfterCreated ?? p.Value.Lt) - p.Value.Gte))
            .Where(p => p.Left >= 2 * MinSliceSeconds)
            .OrderByDescending(p => p.Left)
            .FirstOrDefault();
        if (largest.Range is not { } range)
        {
            return null;
        }
        var middle = range.Gte + (largest.Left / 2);
        var prefix = largest.Key.Split('@')[0];
        var created = Enumerable.Range(1, int.MaxValue - 1).Select(i => $"{prefix}@{i}").First(k => !state.Pending.ContainsKey(k));
        state.Pending[created] = new RangeState { Gte = range.Gte, Lt = middle };
        range.Gte = middle;
        return (largest.Key, created);
    }
}
