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
/// incremental poll or a full-refresh pass) after the binding's interval.
/// </summary>
public sealed class BindingCapture
{
    private const int PageSize = 100;

    private readonly CaptureContext _context;
    private readonly BoundStream _binding;
    private readonly StreamDescriptor _listed;
    private readonly ArrayBufferWriter<byte> _batch = new(256 * 1024);
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

    public BindingState State => _state;

    public async Task RunAsync(CancellationToken stop)
    {
        if (_binding.Backfill > _state.Backfill)
        {
            Log.Info($"Backfilling {Stream.Name} again: its backfill counter rose to {_binding.Backfill}");
            _context.Output.Reset(_binding.StateKey);
            _state = new BindingState { Backfill = _binding.Backfill };
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
                _state.LastPass = _state.LastRun;
                Commit();
                Log.Info($"Finished a full pass of {Stream.Name}");
            }
        }
    }

    /// <summary>Adds the next range to read: the first backfill, an incremental poll, or a full-refresh pass.</summary>
    private async Task ScheduleNextAsync(CancellationToken stop)
    {
        var config = _context.Config;
        var start = config.StartDate.ToUnixTimeSeconds();
        var lookback = (long)TimeSpan.FromDays(config.LookbackWindowDays).TotalSeconds;
        if (_state.LastRun is { } lastRun)
        {
            var due = DateTimeOffset.FromUnixTimeSeconds(lastRun) + _binding.Interval;
            var wait = due - _context.Clock.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _context.Clock, stop).ConfigureAwait(false);
            }
        }

        var now = _context.Clock.GetUtcNow();
        var upper = (now - _context.ListLag).ToUnixTimeSeconds();
        _state.LastRun = now.ToUnixTimeSeconds();
        if (_binding.Mode == SyncMode.FullRefresh)
        {
            _state.Pending["pass"] = new RangeState { Gte = start, Lt = upper };
            Log.Info($"Starting a full pass of {Stream.Name}", ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else if (_state.Cursor is not { } cursor)
        {
            // The first backfill: its upper bound is fixed now, so objects created meanwhile are left to polling.
            var from = start - lookback;
            _state.Pending["backfill"] = new RangeState { Gte = from, Lt = upper };
            _state.Cursor = upper;
            Log.Info($"Backfilling {Stream.Name}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(from)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
        }
        else
        {
            var from = Math.Max(cursor - lookback, start - lookback);
            if (upper > from)
            {
                _state.Pending["poll"] = new RangeState { Gte = from, Lt = upper };
                _state.Cursor = Math.Max(cursor, upper);
                Log.Debug($"Polling {Stream.Name}", ("created_gte", DateTimeOffset.FromUnixTimeSeconds(from)), ("created_lt", DateTimeOffset.FromUnixTimeSeconds(upper)));
            }
        }
        Commit();
    }

    private async Task ReadRangeAsync(string key, CancellationToken stop)
    {
        var range = _state.Pending[key]!;
        while (true)
        {
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
                continue;
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
                    _state.Pending[key] = null;
                    Commit();
                    _state.Pending.Remove(key);
                    return;
                }
                Commit();
            }
        }
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

        while (true)
        {
            ListPage page;
            try
            {
                var path = after is null
                    ? StripeQuery.ListPath(Stream, parent.Id, KeyValuePair.Create("limit", Text(PageSize)))
                    : StripeQuery.ListPath(Stream, parent.Id, KeyValuePair.Create("limit", Text(PageSize)), KeyValuePair.Create("starting_after", after));
                page = await _context.Client.ListAsync(path, null, null, stop).ConfigureAwait(false);
            }
            catch (StripeApiException e) when (e.IsResourceMissing)
            {
                Log.Debug($"Skipping the {Stream.Name} of {parent.Id}: it no longer exists", ("status", (int)e.Status));
                return;
            }
            using (page)
            {
                foreach (var child in page.Items)
                {
                    Append(page.Raw(child), added);
                }
                if (!page.HasMore || page.Items.Count == 0)
                {
                    // The parent is finished: record it as such with its documents.
                    range.After = parent.Id;
                    range.AfterCreated = parent.Created;
                    range.Child = null;
                    Commit();
                    return;
                }
                after = page.Items[^1].Id;
                range.Child = new ChildPosition(parent.Id, after);
                Commit();
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
