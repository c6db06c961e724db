using SourceStripe.Logging;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>
/// Reading a binding's pending ranges: each range is paged newest first by one worker; when the capture
/// has a free worker, the range with the most time left is split in two (its older half becoming a new
/// range), so skewed accounts keep every worker busy. Every split and every page is checkpointed, so a
/// restart resumes each slice where it stopped.
/// </summary>
public sealed partial class BindingCapture
{
    private const string BackfillKey = "backfill";
    private const string PollKey = "poll";
    private const string PassKey = "pass";

    /// <summary>Ranges shorter than this are not split further.</summary>
    private const long MinSliceSeconds = 60;

    /// <summary>
    /// Ranges whose last page said more follow: only these are split, so a small stream costs no more
    /// requests than its pages. Guarded by the state lock.
    /// </summary>
    private readonly HashSet<string> _largeRanges = [];

    /// <summary>Whether the first backfill is still under way (in any of its slices). Holds the state lock.</summary>
    private bool IsBackfilling => _state.Pending.Keys.Any(k => k.StartsWith(BackfillKey, StringComparison.Ordinal));

    private async Task ReadPendingAsync(CancellationToken stop)
    {
        var active = new Dictionary<string, Task>();
        while (true)
        {
            lock (_stateLock)
            {
                foreach (var key in _state.Pending.Where(p => p.Value is not null).Select(p => p.Key).Order(StringComparer.Ordinal))
                {
                    if (!active.ContainsKey(key) && active.Count < _context.MaxWorkers)
                    {
                        active[key] = ReadRangeAsync(key, stop);
                    }
                }
            }
            while (active.Count < _context.MaxWorkers && _context.Workers.CurrentCount > 0 && TrySplit() is { } slice)
            {
                active[slice] = ReadRangeAsync(slice, stop);
            }
            if (active.Count == 0)
            {
                return;
            }

            // Wake when a worker ends, or now and then to use capacity other bindings freed.
            await Task.WhenAny(active.Values.Append(Task.Delay(200, stop))).ConfigureAwait(false);
            stop.ThrowIfCancellationRequested();
            foreach (var (key, task) in active.Where(a => a.Value.IsCompleted).ToList())
            {
                active.Remove(key);
                await task.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Splits the range with the most time left to read; returns the new range's key, or null.</summary>
    private string? TrySplit()
    {
        lock (_stateLock)
        {
            if (Splittable() is null)
            {
                return null;
            }
        }
        string? created = null;
        Commit(new Batch(), () =>
        {
            if (Splittable() is not var (key, range, left))
            {
                return;
            }
            // Workers read newest first: the range keeps its newer half and its position; the older half is new.
            var middle = range.Gte + (left / 2);
            var prefix = key.Split('@')[0];
            created = Enumerable.Range(1, int.MaxValue - 1).Select(i => $"{prefix}@{i}").First(k => !_state.Pending.ContainsKey(k));
            _state.Pending[created] = new RangeState { Gte = range.Gte, Lt = middle };
            range.Gte = middle;
        });
        return created;
    }

    /// <summary>The pending range with the most time left to read, if it is worth splitting. Holds the state lock.</summary>
    private (string Key, RangeState Range, long Left)? Splittable()
    {
        var largest = _state.Pending
            .Where(p => p.Value is not null && _largeRanges.Contains(p.Key))
            .Select(p => (p.Key, Range: p.Value!, Left: (p.Value!.AfterCreated ?? p.Value.Lt) - p.Value.Gte))
            .Where(p => p.Left >= 2 * MinSliceSeconds)
            .OrderByDescending(p => p.Left)
            .FirstOrDefault();
        return largest.Range is null ? null : largest;
    }

    /// <summary>One worker: pages a range until it is finished, split away, or the binding starts over.</summary>
    private async Task ReadRangeAsync(string key, CancellationToken stop)
    {
        await Task.Yield();
        var batch = new Batch();
        while (true)
        {
            await _context.Workers.WaitAsync(stop).ConfigureAwait(false);
            try
            {
                if (!await ReadPageAsync(key, batch, stop).ConfigureAwait(false))
                {
                    return;
                }
            }
            finally
            {
                _context.Workers.Release();
            }
        }
    }

    /// <summary>The range as it stands now, if it is still pending. Holds the state lock.</summary>
    private RangeState? Current(string key) => _state.Pending.TryGetValue(key, out var range) ? range : null;

    /// <summary>Reads, emits and checkpoints the next page of a range; false once the range is done.</summary>
    private async Task<bool> ReadPageAsync(string key, Batch batch, CancellationToken stop)
    {
        string query;
        ChildPosition? resumeChild;
        lock (_stateLock)
        {
            if (Current(key) is not { } range)
            {
                return false;
            }
            if (range.AfterCreated is { } reached && reached < range.Gte)
            {
                // A split took what was left below this range's position.
                _state.Pending[key] = null;
                query = "";
            }
            else
            {
                query = RangeQuery(range);
            }
            resumeChild = range.Child;
        }
        if (query.Length == 0)
        {
            Commit(batch);
            return false;
        }

        ListPage page;
        try
        {
            page = await _context.Client.ListAsync(query, _listed.CursorField, Stream.Parent?.Embedded, stop).ConfigureAwait(false);
        }
        catch (StripeApiException e) when (e.IsResourceMissing && query.Contains("starting_after", StringComparison.Ordinal))
        {
            // The object we resume after is gone: continue from its created time instead, re-reading that second.
            Log.Debug($"The resume point of {Stream.Name} no longer exists; resuming by created time");
            Commit(batch, () =>
            {
                if (Current(key) is { } range)
                {
                    range.Lt = (range.AfterCreated ?? range.Lt - 1) + 1;
                    range.After = null;
                    range.AfterCreated = null;
                    range.Child = null;
                }
            });
            return true;
        }
        catch (StripeApiException e) when (IsEventsStream && e.Error?.Message.Contains("retention", StringComparison.OrdinalIgnoreCase) == true)
        {
            Log.Warn("Stripe no longer keeps the older events (30-day retention): the events backfill ends here", ("stripe", e.Error!.Message));
            Commit(batch, () => Finish(key));
            return false;
        }

        using (page)
        {
            if (Stream.Parent is null)
            {
                foreach (var item in page.Items)
                {
                    batch.Add(_binding.Index, page.Raw(item), []);
                }
            }
            else
            {
                foreach (var parent in page.Items)
                {
                    var after = resumeChild is { } position && position.Parent == parent.Id ? position.After : null;
                    await CaptureChildrenAsync(key, batch, page, parent, after, stop).ConfigureAwait(false);
                }
            }

            var more = page.HasMore && page.Items.Count > 0;
            var last = page.Items.Count > 0 ? page.Items[^1] : default;
            Commit(batch, () =>
            {
                if (Current(key) is not { } range)
                {
                    return;
                }
                if (page.Items.Count > 0)
                {
                    range.After = last.Id;
                    range.AfterCreated = last.Created;
                    range.Child = null;
                }
                if (more)
                {
                    _largeRanges.Add(key);
                }
                else
                {
                    Finish(key);
                }
            });
            return more;
        }
    }

    /// <summary>Marks a range done: written as null in the checkpoint, then forgotten. Holds the state lock.</summary>
    private void Finish(string key)
    {
        _largeRanges.Remove(key);
        if (_state.Pending.ContainsKey(key))
        {
            _state.Pending[key] = null;
        }
    }

    /// <summary>
    /// Emits one parent's children: its embedded first page, then the child endpoint only while there is
    /// more (from <paramref name="after"/> when resuming inside it). A parent whose children took
    /// requests is checkpointed on its own, so a restart does not read it again.
    /// </summary>
    private async Task CaptureChildrenAsync(string key, Batch batch, ListPage parentPage, PageItem parent, string? after, CancellationToken stop)
    {
        var link = Stream.Parent!;
        var added = DocumentLines.StringMember(link.IdField, parent.Id);
        if (after is null && link.Embedded is not null && parent.Embedded is { } embedded)
        {
            foreach (var child in embedded.Items)
            {
                batch.Add(_binding.Index, parentPage.Raw(child), added);
            }
            if (!embedded.HasMore)
            {
                return;
            }
            after = embedded.Items.Count > 0 ? embedded.Items[^1].Id : null;
        }

        await ListChildrenAsync(parent.Id, after, added, batch, (lastChild, more) => Commit(batch, () =>
        {
            if (Current(key) is not { } range)
            {
                return;
            }
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
        }), stop).ConfigureAwait(false);
    }

    /// <summary>
    /// Pages a parent's child endpoint from <paramref name="after"/>, adding each child to
    /// <paramref name="batch"/> with <paramref name="added"/>; <paramref name="onPage"/> gets the last
    /// child and whether more follow. A parent deleted meanwhile has no children left to read.
    /// </summary>
    private async Task ListChildrenAsync(string parentId, string? after, byte[] added, Batch batch, Action<string?, bool> onPage, CancellationToken stop)
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
                    batch.Add(_binding.Index, page.Raw(child), added);
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

    /// <summary>The list request for a range's next page. Holds the state lock.</summary>
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
}
