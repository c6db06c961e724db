using System.Net;
using SourceStripe.Capture.Reading;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Accounts;

/// <summary>
/// One listing of the platform's connected accounts (<c>GET /v1/accounts</c>) in <c>created</c> slices read in
/// parallel, as a backfill's ranges are: each slice that proves to hold more than a page is split in two
/// (<see cref="RangePlanner.Split"/>) while fewer slices read than the endpoint's budget keeps busy. Each page's
/// accounts are handed on as soon as it arrives, so that accounts start while the listing goes on; 100,000 accounts
/// are 1,000 pages, which one after another took minutes before the first of them started.
/// </summary>
internal sealed class AccountListing(CaptureContext context, LogLevel progressLevel, Func<string, CancellationToken, Task> found, Action<int> listed)
{
    private const string FirstSlice = "accounts";
    private static readonly TimeSpan ProgressEvery = TimeSpan.FromSeconds(10);

    /// <summary>The <c>/v1/accounts</c> list's own budget (Stripe allows 25 reads a second), spent by every slice.</summary>
    public static readonly RequestEndpoint Endpoint = RequestEndpoint.Of(null, StreamCatalog.Accounts.Path);

    private readonly Lock _gate = new();
    /// <summary>The slices still to read, kept as a binding's ranges are so that the backfill's splitting applies; never checkpointed.</summary>
    private readonly AccountState _slices = new();
    /// <summary>Slices known to hold more than the page read, with the created time that page reached: those worth splitting.</summary>
    private readonly Dictionary<string, long> _large = new(StringComparer.Ordinal);
    private int _found;
    private DateTimeOffset _nextProgress;

    /// <summary>Queues the first slice: every account created up to a day past now (clocks differ; later ones come from the watch).</summary>
    public void Start()
    {
        var now = context.Clock.GetUtcNow();
        lock (_gate)
        {
            _slices.Pending[FirstSlice] = new RangeState { Gte = 0, Lt = (now + TimeSpan.FromDays(1)).ToUnixTimeSeconds() };
            _nextProgress = now + ProgressEvery;
        }
        context.Scheduler.Enqueue(new SlicePage(this, FirstSlice));
    }

    /// <summary>How many slices read at once: as many as the list's budget keeps busy, as the scheduler counts them.</summary>
    private int ParallelSlices => context.Client.Limiter.Capacity(Endpoint);

    /// <summary>Reads the next page of <paramref name="key"/> and starts its accounts, then queues <paramref name="unit"/> again while the slice has more.</summary>
    private async Task ReadPageAsync(SlicePage unit, string key, CancellationToken stop)
    {
        string? query;
        lock (_gate)
        {
            query = _slices.PendingRanges.GetValueOrDefault(key) is { } range
                // A split took what was left below this slice's position.
                && !(range.AfterCreated is { } reached && reached < range.Gte) ? Query(range) : null;
        }
        if (query is null)
        {
            Finish(key);
            return;
        }
        List<string> ids;
        List<SlicePage>? split = null;
        bool more;
        using (var page = await ListAsync(query, stop).ConfigureAwait(false))
        {
            lock (_gate)
            {
                var range = _slices.Pending[key]!;
                // Accounts below the slice's lower bound went to a slice split off while this page was asked for.
                var items = page.Items.TakeWhile(i => i.Created >= range.Gte).ToList();
                ids = [.. items.Select(i => i.Id).Where(id => id != context.Config.AccountId)];
                more = page.HasMore && items.Count == page.Items.Count && items.Count > 0;
                if (items.Count > 0)
                {
                    range.After = items[^1].Id;
                    range.AfterCreated = items[^1].Created;
                }
                if (more)
                {
                    _large[key] = items[^1].Created;
                    while (_slices.PendingRanges.Count < ParallelSlices && RangePlanner.Split(_slices, _large) is var (_, created))
                    {
                        (split ??= []).Add(new SlicePage(this, created));
                    }
                }
            }
        }
        foreach (var half in split ?? [])
        {
            context.Scheduler.Enqueue(half);
        }
        foreach (var id in ids)
        {
            await found(id, stop).ConfigureAwait(false);
        }
        Progress(ids.Count);
        if (more)
        {
            context.Scheduler.Enqueue(unit);
        }
        else
        {
            Finish(key);
        }
    }

    private async Task<ListPage> ListAsync(string query, CancellationToken stop)
    {
        try
        {
            // The unit holds nothing yet: its body may wait for room.
            return await context.Client.ListAsync(query, "created", null, stop, waitForRoom: true).ConfigureAwait(false);
        }
        catch (StripeApiException e) when (e.Status is HttpStatusCode.BadRequest or HttpStatusCode.Forbidden)
        {
            throw new ConfigException($"config.capture_connected_accounts is true, but Stripe refused to list the platform's connected accounts ({(int)e.Status} for GET /v1/accounts: "
                + $"{e.Error?.Message}): {context.Config.AccountId} must be a Connect platform and the key needs Read access to Connect's accounts; otherwise set capture_connected_accounts to false");
        }
    }

    private static string Query(RangeState range)
    {
        List<KeyValuePair<string, string>> query =
        [
            new("limit", RangePageUnit.Text(RangePageUnit.Limit)),
            new("created[gte]", RangePageUnit.Text(range.Gte)),
            new("created[lt]", RangePageUnit.Text(range.Lt)),
        ];
        if (range.After is not null)
        {
            query.Add(new("starting_after", range.After));
        }
        return StripeQuery.ListPath(StreamCatalog.Accounts, null, [.. query]);
    }

    /// <summary>Counts what a page found, and says how far the listing is every <see cref="ProgressEvery"/> rather than per page.</summary>
    private void Progress(int count)
    {
        var now = context.Clock.GetUtcNow();
        int found, slices;
        lock (_gate)
        {
            _found += count;
            if (now < _nextProgress)
            {
                return;
            }
            _nextProgress = now + ProgressEvery;
            (found, slices) = (_found, _slices.PendingRanges.Count);
        }
        Log.Write(progressLevel, $"Listing the platform's connected accounts: {found} so far, {slices} created slices still reading", [("listed", found), ("slices", slices)]);
    }

    /// <summary>A slice is read; the last one ends the listing.</summary>
    private void Finish(string key)
    {
        int total;
        lock (_gate)
        {
            if (!_slices.Pending.Remove(key))
            {
                return;
            }
            _large.Remove(key);
            if (_slices.PendingRanges.Count > 0)
            {
                return;
            }
            total = _found;
        }
        listed(total);
    }

    /// <summary>One page of one slice, queued again while the slice has more; ahead of the accounts' own pages, which wait on it to start.</summary>
    private sealed class SlicePage(AccountListing listing, string key) : WorkUnit
    {
        public override bool IsBackfill => true;

        public override long Cursor => long.MinValue;

        public override string What => "the platform's connected accounts";

        public override RequestEndpoint? Endpoint => AccountListing.Endpoint;

        public override Task RunAsync(CancellationToken stop) => listing.ReadPageAsync(this, key, stop);
    }
}
