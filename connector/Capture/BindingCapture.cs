using System.Buffers;
using System.Globalization;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>
/// Captures one binding: reads its pending <c>created</c> ranges newest first, page by page, committing
/// each page's documents with the checkpoint that records them; then schedules the next range (an
/// incremental poll or a full-refresh pass) after the binding's interval. Changes from Stripe events are
/// applied by the capture's one <see cref="EventsReader"/> (BindingCapture.Events.cs).
/// </summary>
public sealed partial class BindingCapture
{
    private const int PageSize = 100;

    /// <summary>Stripe keeps events this long.</summary>
    public static readonly TimeSpan EventRetention = TimeSpan.FromDays(30);

    /// <summary>Events this close to expiring are not relied on: reading them can take a while.</summary>
    private static readonly TimeSpan RetentionMargin = TimeSpan.FromHours(1);

    private readonly CaptureContext _context;
    private readonly BoundStream _binding;
    private readonly StreamDescriptor _listed;
    private readonly ArrayBufferWriter<byte> _batch = new(256 * 1024);

    /// <summary>
    /// Held while the in-memory state may be ahead of what is committed (a page being read, events being
    /// applied), so that a checkpoint never records documents that are not yet written.
    /// </summary>
    private readonly SemaphoreSlim _gate = new(1, 1);
    private int _batchDocuments;
    private BindingState _state;

    public BindingCapture(CaptureContext context, BoundStream binding, BindingState? state)
    {
        _context = context;
        _binding = binding;
        _listed = binding.Stream.Parent is { } parent ? StreamCatalog.Find(parent.Stream)! : binding.Stream;
        _state = state ?? new BindingState { Backfill = binding.Backfill };
    }

    private StreamDescriptor Stream => _binding.Stream;

    public BoundStream Binding => _binding;

    public BindingState State => _state;

    private bool IsEventsStream => ReferenceEquals(Stream, StreamCatalog.Events);

    public async Task RunAsync(CancellationToken stop)
    {
        await _gate.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            if (_binding.Backfill > _state.Backfill)
            {
                StartOver($"Backfilling {Stream.Name} again: its backfill counter rose to {_binding.Backfill}", warn: false);
            }
            else if (EventsExpired())
            {
                StartOver(ExpiredMessage(), warn: true);
            }
        }
        finally
        {
            _gate.Release();
        }

        while (!stop.IsCancellationRequested)
        {
            if (_state.Pending.Count == 0)
            {
                await ScheduleNextAsync(stop).ConfigureAwait(false);
                continue;
            }
            foreach (var key in _state.Pending.Keys.Order(StringComparer.Ordinal).ToList())
            {
                await ReadRangeAsync(key, stop).ConfigureAwait(false);
            }
            if (_binding.Mode == SyncMode.FullRefresh && _state.Pending.Count == 0)
            {
                await LockedAsync(() =>
                {
                    _state.LastPass = _state.LastRun;
                    Commit();
                    return Task.CompletedTask;
                }, stop).ConfigureAwait(false);
                Log.Info($"Finished a full pass of {Stream.Name}");
            }
        }
    }

    /// <summary>Forgets the binding's progress (in a checkpoint) and backfills it from the start.</summary>
    private void StartOver(string why, bool warn)
    {
        if (warn)
        {
            Log.Warn(why);
        }
        else
        {
            Log.Info(why);
        }
        _context.Output.Reset(_binding.StateKey);
        _state = new BindingState { Backfill = Math.Max(_binding.Backfill, _state.Backfill) };
    }

    /// <summary>Adds the next range to read: the first backfill, an incremental poll, or a full-refresh pass.</summary>
    private async Task ScheduleNextAsync(CancellationToken stop)
    {
        if (_state.LastRun is { } lastRun)
        {
            var due = DateTimeOffset.FromUnixTimeSeconds(lastRun) + _binding.Interval;
            var wait = due - _context.Clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _context.Clock, stop).ConfigureAwait(false);
            }
        }
        await LockedAsync(() =>
        {
            ScheduleNext();
            return Task.CompletedTask;
        }, stop).ConfigureAwait(false);
    }

    private void ScheduleNext()
    {
        var config = _context.Config;
        var now = _context.Clock.GetUtcNow();
        var lookback = (long)TimeSpan.FromDays(config.LookbackWindowDays).TotalSeconds;
        var start = config.StartDate.ToUnixTimeSeconds();
        var from = start - lookback;
        if (IsEventsStream)
        {
            // Stripe keeps events for 30 days: older ones cannot be read however early start_date is. Those
            // that expire while the backfill runs end it with Stripe's retention error (see below).
            from = Math.Max(from, (now - EventRetention).ToUnixTimeSeconds());
        }
        var lag = IsEventsStream ? config.Advanced.EventLag : _context.ListLag;
        var upper = (now - lag).ToUnixTimeSeconds();
        _state.LastRun = now.ToUnixTimeSeconds();
        if (_binding.Mode == SyncMode.FullRefresh)
        {
            _state.Pending["pass"] = new RangeState { Gte = start, Lt = upper };
            Log.Info($"Starting a full pass of {Stream.Name}", ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else if (_state.Cursor is not { } cursor)
        {
            // The first backfill: its upper bound is fixed now, so objects created meanwhile are left to
            // polling, and changes from then on are left to events.
            _state.Pending["backfill"] = new RangeState { Gte = from, Lt = upper };
            _state.Cursor = upper;
            // Objects are read from now on: events of this second or later may not show in them.
            _state.Events = ListensToEvents ? now.ToUnixTimeSeconds() - 1 : null;
            Log.Info($"Backfilling {Stream.Name}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(from)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else
        {
            var pollFrom = Math.Max(cursor - lookback, from);
            if (upper > pollFrom)
            {
                _state.Pending["poll"] = new RangeState { Gte = pollFrom, Lt = upper };
                _state.Cursor = Math.Max(cursor, upper);
                Log.Debug($"Polling {Stream.Name}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(pollFrom)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
            }
        }
        Commit();
    }

    private async Task ReadRangeAsync(string key, CancellationToken stop)
    {
        var done = false;
        while (!done)
        {
            done = await LockedAsync(() => ReadPageAsync(key, stop), stop).ConfigureAwait(false);
        }
    }

    /// <summary>Reads, emits and checkpoints the next page of a range; true when the range is finished.</summary>
    private async Task<bool> ReadPageAsync(string key, CancellationToken stop)
    {
        var range = _state.Pending[key]!;
        ListPage page;
        try
        {
            page = await _context.Client.ListAsync(RangeQuery(range), _listed.CursorField, Stream.Parent?.Embedded, stop).ConfigureAwait(false);
        }
        catch (StripeApiException e) when (e.IsResourceMissing && range.After is not null)
        {
            // The object we resume after is gone: continue from its created time instead, re-reading that second.
            Log.Debug($"Resume point {range.After} of {Stream.Name} no longer exists; resuming by created time", ("created", range.AfterCreated));
            range.Lt = (range.AfterCreated ?? range.Lt - 1) + 1;
            range.After = null;
            range.AfterCreated = null;
            range.Child = null;
            return false;
        }
        catch (StripeApiException e) when (IsEventsStream && e.Error?.Message.Contains("retention", StringComparison.OrdinalIgnoreCase) == true)
        {
            Log.Warn($"Stripe no longer keeps the older events (30-day retention): the events backfill ends here", ("stripe", e.Error!.Message));
            FinishRange(key);
            return true;
        }

        using (page)
        {
            if (Stream.Parent is null)
            {
                foreach (var item in page.Items)
                {
                    Append(page.Raw(item), []);
                }
            }
            else
            {
                foreach (var parent in page.Items)
                {
                    await CaptureChildrenAsync(page, parent, range, stop).ConfigureAwait(false);
                    range.After = parent.Id;
                    range.AfterCreated = parent.Created;
                    range.Child = null;
                }
            }

            if (page.Items.Count > 0)
            {
                var last = page.Items[^1];
                range.After = last.Id;
                range.AfterCreated = last.Created;
            }
            if (!page.HasMore || page.Items.Count == 0)
            {
                FinishRange(key);
                return true;
            }
            Commit();
            return false;
        }
    }

    private void FinishRange(string key)
    {
        _state.Pending[key] = null;
        Commit();
        _state.Pending.Remove(key);
    }

    /// <summary>
    /// Emits one parent's children: its embedded first page, then the child endpoint only while there is
    /// more. A parent whose children took requests is checkpointed on its own, so a restart does not
    /// read it again.
    /// </summary>
    private async Task CaptureChildrenAsync(ListPage parentPage, PageItem parent, RangeState range, CancellationToken stop)
    {
        var link = Stream.Parent!;
        var added = DocumentLines.StringMember(link.IdField, parent.Id);
        string? after = null;
        if (range.Child is { } position && position.Parent == parent.Id)
        {
            after = position.After;
        }
        else if (link.Embedded is not null && parent.Embedded is { } embedded)
        {
            foreach (var child in embedded.Items)
            {
                Append(parentPage.Raw(child), added);
            }
            if (!embedded.HasMore)
            {
                return;
            }
            after = embedded.Items.Count > 0 ? embedded.Items[^1].Id : null;
        }

        await ListChildrenAsync(parent.Id, after, added, (lastChild, more) =>
        {
            if (more)
            {
                range.Child = new ChildPosition(parent.Id, lastChild!);
            }
            else
            {
                // The parent is finished: record it as such with its documents.
                range.After = parent.Id;
                range.AfterCreated = parent.Created;
                range.Child = null;
            }
            Commit();
        }, stop).ConfigureAwait(false);
    }

    /// <summary>
    /// Pages a parent's child endpoint from <paramref name="after"/>, appending each child with
    /// <paramref name="added"/>; <paramref name="onPage"/> gets the last child and whether more follow.
    /// A parent deleted meanwhile has no children left to read.
    /// </summary>
    private async Task ListChildrenAsync(string parentId, string? after, byte[] added, Action<string?, bool> onPage, CancellationToken stop)
    {
        while (true)
        {
            ListPage page;
            try
            {
                var path = after is null
                    ? StripeQuery.ListPath(Stream, parentId, KeyValuePair.Create("limit", Text(PageSize)))
                    : StripeQuery.ListPath(Stream, parentId, KeyValuePair.Create("limit", Text(PageSize)), KeyValuePair.Create("starting_after", after));
                page = await _context.Client.ListAsync(path, null, null, stop).ConfigureAwait(false);
            }
            catch (StripeApiException e) when (e.IsResourceMissing)
            {
                Log.Debug($"Skipping the {Stream.Name} of {parentId}: it no longer exists", ("status", (int)e.Status));
                onPage(after, false);
                return;
            }
            using (page)
            {
                foreach (var child in page.Items)
                {
                    Append(page.Raw(child), added);
                }
                var more = page.HasMore && page.Items.Count > 0;
                after = page.Items.Count > 0 ? page.Items[^1].Id : after;
                onPage(after, more);
                if (!more)
                {
                    return;
                }
            }
        }
    }

    private string RangeQuery(RangeState range)
    {
        List<KeyValuePair<string, string>> query =
        [
            new("limit", Text(PageSize)),
            new("created[gte]", Text(range.Gte)),
            new("created[lt]", Text(range.Lt)),
        ];
        if (range.After is not null)
        {
            query.Add(new("starting_after", range.After));
        }
        return StripeQuery.ListPath(_listed, null, [.. query]);
    }

    private void Append(ReadOnlySpan<byte> document, ReadOnlySpan<byte> added)
    {
        DocumentLines.WriteCaptured(_batch, _binding.Index, document, added);
        _batchDocuments++;
    }

    /// <summary>Runs <paramref name="work"/> holding the binding's gate.</summary>
    private async Task<T> LockedAsync<T>(Func<Task<T>> work, CancellationToken stop)
    {
        await _gate.WaitAsync(stop).ConfigureAwait(false);
        try
        {
            return await work().ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    private Task LockedAsync(Func<Task> work, CancellationToken stop) =>
        LockedAsync(async () =>
        {
            await work().ConfigureAwait(false);
            return true;
        }, stop);

    /// <summary>Writes what was gathered since the last checkpoint, with a checkpoint: the binding's last words.</summary>
    public void Flush() => Commit();

    /// <summary>Writes the documents gathered so far and the checkpoint covering them.</summary>
    private void Commit()
    {
        _context.Output.Commit(_batch.WrittenSpan, _batchDocuments, _binding.StateKey, _state);
        _batch.ResetWrittenCount();
        _batchDocuments = 0;
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A binding of the open request, resolved against the catalog.</summary>
public sealed record BoundStream(int Index, string StateKey, StreamDescriptor Stream, SyncMode Mode, TimeSpan Interval, long Backfill);

/// <summary>What every binding of a capture shares.</summary>
public sealed record CaptureContext(EndpointConfig Config, StripeClient Client, CaptureOutput Output, TimeProvider Clock)
{
    /// <summary>Polls stop this far behind now, so objects still becoming visible in lists are read next time.</summary>
    public TimeSpan ListLag { get; init; } = TimeSpan.FromSeconds(30);
}
