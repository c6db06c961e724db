using SourceStripe.Capture.Output;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Reading;

/// <summary>
/// Reads the children of parents for a child stream (invoice lines, subscription items, a customer's
/// sources, …): a parent's embedded first page, then its child endpoint only while there is more.
/// </summary>
public sealed class ChildLister(AccountBinding owner, CommitBatch batch)
{
    /// <summary>
    /// Emits one parent's children, from <paramref name="after"/> when resuming inside them. A parent whose
    /// children took requests is checkpointed on its own, so a restart does not read it again.
    /// </summary>
    public async Task CaptureAsync(string key, ListPage parentPage, PageItem parent, string? after, CancellationToken stop)
    {
        var link = owner.Stream.Parent!;
        var added = DocumentLines.Join(DocumentLines.StringMember(link.IdField, parent.Id), owner.AccountMember);
        if (after is null && link.Embedded is not null && parent.Embedded is { } embedded)
        {
            foreach (var child in embedded.Items)
            {
                batch.Add(owner.Binding.Index, parentPage.Raw(child), added);
            }
            if (!embedded.HasMore)
            {
                return;
            }
            after = embedded.Items.Count > 0 ? embedded.Items[^1].Id : null;
        }

        await ListAsync(parent.Id, after, added, (lastChild, more) => owner.CommitAsync(batch, state =>
        {
            if (owner.Range(key) is not { } range)
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
        }, stop), stop).ConfigureAwait(false);
    }

    /// <summary>
    /// Pages a parent's child endpoint from <paramref name="after"/>, adding each child to the batch with
    /// <paramref name="added"/>; <paramref name="onPage"/> gets the last child and whether more follow. A
    /// parent deleted meanwhile has no children left to read.
    /// </summary>
    public async Task ListAsync(string parentId, string? after, byte[] added, Func<string?, bool, Task> onPage, CancellationToken stop)
    {
        var stream = owner.Stream;
        var limit = KeyValuePair.Create("limit", RangePageUnit.Text(RangePageUnit.Limit));
        while (true)
        {
            ListPage page;
            try
            {
                var path = after is null
                    ? StripeQuery.ListPath(stream, parentId, limit)
                    : StripeQuery.ListPath(stream, parentId, limit, KeyValuePair.Create("starting_after", after));
                page = await owner.Context.Client.ListAsync(path, null, null, stop, owner.Account.RequestAccount).ConfigureAwait(false);
            }
            catch (StripeApiException e) when (e.IsResourceMissing)
            {
                Log.Debug($"Skipping the {stream.Name} of {parentId}: it no longer exists", ("status", (int)e.Status));
                await onPage(after, false).ConfigureAwait(false);
                return;
            }
            using (page)
            {
                foreach (var child in page.Items)
                {
                    batch.Add(owner.Binding.Index, page.Raw(child), added);
                }
                var more = page.HasMore && page.Items.Count > 0;
                after = page.Items.Count > 0 ? page.Items[^1].Id : after;
                await onPage(after, more).ConfigureAwait(false);
                if (!more)
                {
                    return;
                }
            }
        }
    }
}
