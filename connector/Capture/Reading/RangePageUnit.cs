using System.Globalization;
using SourceStripe.Capture.Output;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Reading;

/// <summary>
/// Reads the next page of one pending range of one account's binding, newest first, and commits its
/// documents with the range's new position; queues itself again while the range has more. For a child
/// stream the page is of parents, and each parent's children are read before the page is committed.
/// </summary>
public sealed class RangePageUnit(AccountBinding owner, string key) : WorkUnit
{
    private const int PageSize = 100;

    private readonly CommitBatch _batch = owner.Context.NewBatch();

    public override bool IsBackfill => RangePlanner.IsBackfillRange(key);

    /// <summary>Backfills take turns in arrival order; polls and passes go oldest range first.</summary>
    public override long Cursor => IsBackfill ? 0 : owner.Read(_ => owner.Range(key)?.Gte ?? 0);

    public override string What => owner.Stream.Name + owner.Account.Of;

    public override RequestEndpoint? Endpoint => owner.ReadEndpoint;

    public override async Task RunAsync(CancellationToken stop)
    {
        bool more;
        try
        {
            // A unit queued before its account was set aside ends here; Resume queues the range again.
            more = owner.IsActive && await ReadPageAsync(stop).ConfigureAwait(false);
        }
        catch (Exception e) when (owner.Account.Absorbs(owner, e))
        {
            owner.RangeEnded(key);
            return;
        }
        catch
        {
            owner.RangeEnded(key);
            throw;
        }
        if (more)
        {
            owner.Context.Scheduler.Enqueue(this);
        }
        else
        {
            owner.RangeEnded(key);
        }
    }

    /// <summary>Reads, emits and checkpoints the next page of the range; false once the range is done.</summary>
    private async Task<bool> ReadPageAsync(CancellationToken stop)
    {
        var (query, resumeChild) = owner.Read<(string? Query, ChildPosition? Child)>(state => owner.Range(key) switch
        {
            null => (null, null),
            // A split took what was left below this range's position (only lists with created filters are split).
            { AfterCreated: { } reached } range when owner.Listed.HasCreatedFilter && reached < range.Gte => ("", null),
            { } range => (Query(range), range.Child),
        });
        if (query is null)
        {
            return false;
        }
        if (query.Length == 0)
        {
            await owner.CommitAsync(_batch, state => AccountBinding.Finish(state, key), stop).ConfigureAwait(false);
            return false;
        }

        ListPage page;
        try
        {
            // The unit holds nothing yet (its last page was committed): its body may wait for room.
            page = await owner.Context.Client.ListAsync(query, owner.Listed.CursorField, owner.Stream.Parent?.Embedded, stop, owner.Account.RequestAccount, waitForRoom: true).ConfigureAwait(false);
        }
        catch (StripeApiException e) when (e.IsResourceMissing && query.Contains("starting_after", StringComparison.Ordinal))
        {
            // The object we resume after is gone: continue from its created time instead, re-reading that second;
            // a list without created filters is read again from its start.
            Log.Debug($"The resume point of {owner.Stream.Name} no longer exists; resuming by created time");
            await owner.CommitAsync(_batch, state =>
            {
                if (owner.Range(key) is { } range)
                {
                    range.Lt = owner.Listed.HasCreatedFilter ? (range.AfterCreated ?? range.Lt - 1) + 1 : range.Lt;
                    range.After = null;
                    range.AfterCreated = null;
                    range.Child = null;
                }
            }, stop).ConfigureAwait(false);
            return true;
        }
        catch (StripeApiException e) when (owner.IsEventsStream && e.Error?.Message.Contains("retention", StringComparison.OrdinalIgnoreCase) == true)
        {
            Log.Warn("Stripe no longer keeps the older events (30-day retention): the events backfill ends here", ("stripe", e.Error!.Message));
            await owner.CommitAsync(_batch, state => AccountBinding.Finish(state, key), stop).ConfigureAwait(false);
            return false;
        }

        bool more;
        int count;
        PageItem last;
        using (page)
        {
            count = page.Items.Count;
            more = page.HasMore && count > 0;
            last = count > 0 ? page.Items[^1] : default;
            if (more && owner.Listed.HasCreatedFilter)
            {
                owner.MarkLarge(key, last.Created);
            }
            var binding = owner.Binding.Index;
            if (owner.Stream.Parent is null)
            {
                _batch.Expect(count, page.ByteCount, page.LinesRoom);
                var added = owner.AccountMember;
                foreach (var item in page.Items)
                {
                    _batch.Add(binding, page.Raw(item), added);
                }
            }
            else
            {
                var children = new ChildLister(owner, _batch);
                foreach (var parent in page.Items)
                {
                    var after = resumeChild is { } position && position.Parent == parent.Id ? position.After : null;
                    await children.CaptureAsync(key, page, parent, after, stop).ConfigureAwait(false);
                }
            }
        }

        // The page's body is back in the pool: only its documents wait for the writer.
        await owner.CommitAsync(_batch, state =>
        {
            if (owner.Range(key) is not { } range)
            {
                return;
            }
            if (count > 0)
            {
                range.After = last.Id;
                range.AfterCreated = last.Created;
                range.Child = null;
            }
            if (!more)
            {
                AccountBinding.Finish(state, key);
            }
        }, stop).ConfigureAwait(false);
        return more;
    }

    /// <summary>The list request for a range's next page.</summary>
    private string Query(RangeState range)
    {
        List<KeyValuePair<string, string>> query = [new("limit", Text(PageSize))];
        if (owner.Listed.HasCreatedFilter)
        {
            query.Add(new("created[gte]", Text(range.Gte)));
            query.Add(new("created[lt]", Text(range.Lt)));
        }
        if (range.After is not null)
        {
            query.Add(new("starting_after", range.After));
        }
        return StripeQuery.ListPath(owner.Listed, null, [.. query]);
    }

    public static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static int Limit => PageSize;
}
