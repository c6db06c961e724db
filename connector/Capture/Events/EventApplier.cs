using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using SourceStripe.Capture.Output;
using SourceStripe.Capture.Reading;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture.Events;

/// <summary>What one events cycle has done for one binding so far.</summary>
public sealed class BindingCycle(AccountBinding binding, long from)
{
    public AccountBinding Binding => binding;

    /// <summary>The binding's events cursor when the cycle began: events up to it were applied before.</summary>
    public long From => from;

    public SeenObjects Seen { get; } = new();

    /// <summary>The capture's record of changes applied, when webhooks are on (deliveries and polls then overlap).</summary>
    public AppliedChanges? Applied { get; init; }

    /// <summary>For a webhook's delivery, the binding's events cursor: events up to it were polled (<see cref="AppliedChanges.Record"/>).</summary>
    public long PolledUpTo { get; init; } = long.MinValue;

    /// <summary>Parents whose children are listed again at the end of the cycle, once each.</summary>
    public List<string> Relist { get; } = [];

    public HashSet<string> RelistSet { get; } = [];

    public int Documents { get; set; }
}

/// <summary>
/// Turns the events of one page that concern one binding into documents: the event's own payload when it
/// is in the pinned API version, the object read again otherwise (several at once, each through the
/// limiter), a tombstone for a deletion, and for child streams the parent's children listed again.
/// </summary>
public static class EventApplier
{
    /// <summary>The bytes of the event that <paramref name="item"/> locates: in a page of events, or a webhook's body.</summary>
    public delegate ReadOnlySpan<byte> EventBytes(PageItem item);

    /// <summary>Objects read again at once for one binding's page of events, or parents listed again at a cycle's end.</summary>
    private const int ConcurrentReads = 16;

    private static readonly JsonWriterOptions TombstoneOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>
    /// Decides what each event needs, in page order (events come newest first, so an object's first event
    /// carries its latest version); fills <paramref name="batch"/> and returns the objects to read again.
    /// Must run for a page before the next page of the same request.
    /// </summary>
    /// <remarks>With webhooks on, <paramref name="order"/> is the batch's place among the applications of changes (<see cref="AppliedChanges"/>).</remarks>
    public static List<(string Id, ChangeKind Change, string? ParentId)> Triage(BindingCycle cycle, EventBytes raw, IEnumerable<(PageItem Item, StripeEvent Event, bool Direct)> events, CommitBatch batch,
        CommitOrder? order = null)
    {
        var refetch = new List<(string Id, ChangeKind Change, string? ParentId)>();
        // A child binding follows its own and its parent's events, which other requests may carry at the same time.
        lock (cycle)
        {
            Triage(cycle, raw, events, batch, refetch, order);
        }
        return refetch;
    }

    private static void Triage(BindingCycle cycle, EventBytes raw, IEnumerable<(PageItem Item, StripeEvent Event, bool Direct)> events, CommitBatch batch, List<(string Id, ChangeKind Change, string? ParentId)> refetch,
        CommitOrder? order)
    {
        var owner = cycle.Binding;
        var stream = owner.Stream;
        foreach (var (item, e, direct) in events)
        {
            if (e.Created <= cycle.From)
            {
                continue;
            }
            if (!direct)
            {
                // Its children are listed as they are now: only a repeat, or an older event, is left alone.
                if (cycle.Applied is not { } known || order is null || known.Record(owner.Binding.Index, e.ObjectId, e.Id, e.Created, long.MinValue, order) != ChangeVerdict.Skip)
                {
                    TriageParentEvent(cycle, e, batch);
                }
                continue;
            }
            if (!IsOwnObject(stream, e))
            {
                continue;
            }
            var first = cycle.Seen.Add(e.ObjectId);
            if (first == false)
            {
                continue;
            }
            var verdict = cycle.Applied is { } applied && order is not null ? applied.Record(owner.Binding.Index, e.ObjectId, e.Id, e.Created, cycle.PolledUpTo, order) : ChangeVerdict.Apply;
            if (verdict == ChangeVerdict.Skip)
            {
                continue;
            }
            var change = stream.Events.First(t => t.Type == e.Type).Change;
            string? parentId = null;
            if (stream.Parent is { } link && !e.ObjectFields.TryGetValue(link.Param, out parentId))
            {
                Log.Debug($"Ignoring {e.Type} {e.Id}: its object does not name its {link.Stream[..^1]}");
                continue;
            }
            if (change == ChangeKind.Delete)
            {
                AppendTombstone(owner, batch, e.ObjectId, e.ObjectKind, Added(owner, parentId, ChangeKind.Delete));
            }
            if (stream.Parent is { Relist: true })
            {
                // A child's own event: its parent's children are listed again at the pinned version.
                AddRelist(cycle, parentId!);
            }
            else if (change == ChangeKind.Delete)
            {
                // The tombstone above is the document.
            }
            else if (first == true && verdict == ChangeVerdict.Apply && owner.Context.Config.Advanced.EventPayloads == EventPayloads.Auto && e.ApiVersion == StripeApiVersion.Pinned)
            {
                batch.Add(owner.Binding.Index, raw(item).Slice(e.ObjectStart, e.ObjectLength), Added(owner, parentId, change));
            }
            else
            {
                // In another API version's shape, or past what the cycle can remember, or of the same second as
                // another change applied (its payload may be older than one already captured): the object as
                // Stripe has it now is right either way.
                refetch.Add((e.ObjectId, change, parentId));
            }
            cycle.Documents++;
        }
    }

    /// <summary>Reads changed objects again at the pinned API version, several at once, and adds them to <paramref name="batch"/>.</summary>
    public static async Task RefetchAsync(AccountBinding owner, IReadOnlyList<(string Id, ChangeKind Change, string? ParentId)> objects, CommitBatch batch, CancellationToken stop)
    {
        var options = new ParallelOptions { MaxDegreeOfParallelism = ConcurrentReads, CancellationToken = stop };
        await Parallel.ForEachAsync(objects, options, async (target, token) =>
        {
            FetchedObject fetched;
            try
            {
                fetched = await owner.Context.Client.RetrieveAsync(StripeQuery.ObjectPath(owner.Stream, target.ParentId, target.Id), token, owner.Account.RequestAccount).ConfigureAwait(false);
            }
            catch (StripeApiException e) when (e.IsResourceMissing)
            {
                // Deleted since the event: its deletion event follows.
                Log.Debug($"Skipping a change to {target.Id}: it no longer exists");
                return;
            }
            using (fetched)
            {
                var added = Added(owner, target.ParentId, fetched.Deleted ? ChangeKind.Delete : target.Change);
                lock (batch)
                {
                    batch.Add(owner.Binding.Index, fetched.Json, added);
                }
            }
        }).ConfigureAwait(false);
    }

    /// <summary>Lists again the children of every parent the cycle's events touched, several parents at once.</summary>
    public static async Task RelistAsync(BindingCycle cycle, CancellationToken stop)
    {
        var owner = cycle.Binding;
        var options = new ParallelOptions { MaxDegreeOfParallelism = ConcurrentReads, CancellationToken = stop };
        await Parallel.ForEachAsync(cycle.Relist, options, async (parentId, token) =>
        {
            var batch = owner.Context.NewBatch();
            var lister = new ChildLister(owner, batch);
            await lister.ListAsync(parentId, null, Added(owner, parentId, ChangeKind.Update), (_, _) => owner.CommitAsync(batch, null, token), token).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <summary>
    /// A parent's event: its children are listed again, unless it deleted the parent, whose children can no
    /// longer be listed; those its event embeds (a draft invoice's first page of lines) become tombstones.
    /// </summary>
    private static void TriageParentEvent(BindingCycle cycle, StripeEvent e, CommitBatch batch)
    {
        var owner = cycle.Binding;
        var link = owner.Stream.Parent!;
        if (owner.Listed.Events.FirstOrDefault(t => t.Type == e.Type) is not { Change: ChangeKind.Delete })
        {
            AddRelist(cycle, e.ObjectId);
            return;
        }
        if (link.Embedded is { } embedded && e.EmbeddedIds.TryGetValue(embedded, out var children))
        {
            foreach (var child in children)
            {
                AppendTombstone(owner, batch, child, null, Added(owner, e.ObjectId, ChangeKind.Delete));
                cycle.Documents++;
            }
        }
    }

    private static void AddRelist(BindingCycle cycle, string parentId)
    {
        if (cycle.RelistSet.Add(parentId))
        {
            cycle.Relist.Add(parentId);
        }
    }

    /// <summary>An event of a shared type (a customer source) concerns this stream only for its kind of object.</summary>
    private static bool IsOwnObject(StreamDescriptor stream, StripeEvent e)
    {
        foreach (var (name, value) in stream.Query)
        {
            if (name == "object" && e.ObjectKind != value)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A deleted object's document: enough to remove it from the collection whatever its last shape.</summary>
    private static void AppendTombstone(AccountBinding owner, CommitBatch batch, string id, string? kind, byte[] added)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var json = new Utf8JsonWriter(buffer, TombstoneOptions))
        {
            json.WriteStartObject();
            json.WriteString("id", id);
            if (kind is not null)
            {
                json.WriteString("object", kind);
            }
            json.WriteBoolean("deleted", true);
            json.WriteEndObject();
        }
        batch.Add(owner.Binding.Index, buffer.WrittenSpan, added);
    }

    /// <summary>The members the connector adds to a document from an event: the parent's id, the account's and <c>_meta</c>.</summary>
    private static byte[] Added(AccountBinding owner, string? parentId, ChangeKind change)
    {
        var stream = owner.Stream;
        var meta = change switch
        {
            ChangeKind.Create => "\"_meta\":{\"op\":\"c\"}"u8,
            ChangeKind.Update => "\"_meta\":{\"op\":\"u\"}"u8,
            _ => "\"_meta\":{\"op\":\"d\"}"u8,
        };
        var parent = stream.Parent is { } link && parentId is not null ? DocumentLines.StringMember(link.IdField, parentId) : [];
        return DocumentLines.Join(parent, owner.AccountMember, meta.ToArray());
    }
}
