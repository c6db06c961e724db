using System.Buffers;
using System.Collections.Immutable;
using System.Text.Encodings.Web;
using System.Text.Json;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>What one events cycle has done for one binding so far.</summary>
public sealed class EventCycle
{
    /// <summary>Objects already captured this cycle: events come newest first, so later ones are older.</summary>
    public HashSet<string> Seen { get; } = [];

    /// <summary>Parents whose children are listed again at the end of the cycle, once each.</summary>
    public List<string> Relist { get; } = [];

    public HashSet<string> RelistSet { get; } = [];

    public int Documents { get; set; }
}

public sealed partial class BindingCapture
{
    private static readonly JsonWriterOptions TombstoneOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private ImmutableArray<EventType> ParentEvents =>
        Stream.Parent is { } parent ? StreamCatalog.Find(parent.Stream)!.Events : [];

    /// <summary>Incremental bindings take changes from events: their own, or their parent's for child streams.</summary>
    public bool ListensToEvents => _binding.Mode == SyncMode.Incremental && Stream.ChangesFromEvents;

    /// <summary>
    /// The event types this binding follows, each with the stream whose objects the events carry (used
    /// to keep one object's events in one request) and whether they carry this stream's own objects.
    /// </summary>
    public IEnumerable<(string Carrier, string Type, bool Direct)> EventRoutes =>
        Stream.Events.Select(e => (Stream.Name, e.Type, true))
            .Concat(ParentEvents.Select(e => (Stream.Parent!.Stream, e.Type, false)));

    /// <summary>Where this binding's events stand, once its backfill is done; null before.</summary>
    public long? EventsCursor
    {
        get
        {
            lock (_stateLock)
            {
                return ListensToEvents && _state.Events is { } cursor && !IsBackfilling ? cursor : null;
            }
        }
    }

    private bool EventsExpired() =>
        ListensToEvents && _state.Events is { } cursor
        && cursor < (_context.Clock.GetUtcNow() - EventRetention + RetentionMargin).ToUnixTimeSeconds();

    private string ExpiredMessage() =>
        $"Stripe keeps events for 30 days, and {Stream.Name} last read its events up to {DateTimeOffset.FromUnixTimeSeconds(_state.Events ?? 0):yyyy-MM-dd HH:mm}Z: "
        + $"backfilling {Stream.Name} again so that no change made since is lost";

    /// <summary>Starts the binding over when its events have expired (a capture paused for weeks).</summary>
    public void CheckRetention()
    {
        lock (_stateLock)
        {
            if (EventsExpired())
            {
                StartOver(ExpiredMessage(), warn: true);
            }
        }
    }

    /// <summary>
    /// Applies the events of one page that concern this binding (newest first), and checkpoints the
    /// documents they produced. The events cursor moves only at the end of the cycle.
    /// </summary>
    public async Task ApplyEventsAsync(EventCycle cycle, ListPage page, IReadOnlyList<(PageItem Item, StripeEvent Event, bool Direct)> events, CancellationToken stop)
    {
        long cursor;
        lock (_stateLock)
        {
            cursor = _state.Events ?? long.MaxValue;
        }
        var batch = new Batch();
        var refetch = new List<(string Id, ChangeKind Change)>();
        foreach (var (item, e, direct) in events)
        {
            if (e.Created <= cursor)
            {
                continue;
            }
            if (!direct)
            {
                AddRelist(cycle, e.ObjectId);
                continue;
            }
            if (!IsOwnObject(e) || !cycle.Seen.Add(e.ObjectId))
            {
                continue;
            }
            var change = Stream.Events.First(t => t.Type == e.Type).Change;
            if (Stream.Parent is { } link)
            {
                // A child's own event: its parent's children are listed again at the pinned version.
                if (!e.ObjectFields.TryGetValue(link.Param, out var parentId))
                {
                    Log.Debug($"Ignoring {e.Type} {e.Id}: its object does not name its {link.Stream[..^1]}");
                    continue;
                }
                if (change == ChangeKind.Delete)
                {
                    AppendTombstone(batch, e.ObjectId, e.ObjectKind, Added(parentId, ChangeKind.Delete));
                }
                AddRelist(cycle, parentId);
            }
            else if (change == ChangeKind.Delete)
            {
                AppendTombstone(batch, e.ObjectId, e.ObjectKind, Added(null, ChangeKind.Delete));
            }
            else if (_context.Config.Advanced.EventPayloads == EventPayloads.Auto && e.ApiVersion == StripeApiVersion.Pinned)
            {
                batch.Add(_binding.Index, page.Raw(item).Slice(e.ObjectStart, e.ObjectLength), Added(null, change));
            }
            else
            {
                refetch.Add((e.ObjectId, change));
            }
            cycle.Documents++;
        }

        foreach (var (id, change) in refetch)
        {
            await RefetchAsync(batch, id, change, stop).ConfigureAwait(false);
        }
        Commit(batch);
    }

    /// <summary>Lists the children of every parent an event touched, then moves the events cursor to <paramref name="upTo"/>.</summary>
    public async Task FinishEventsAsync(EventCycle cycle, long upTo, CancellationToken stop)
    {
        var batch = new Batch();
        foreach (var parentId in cycle.Relist)
        {
            await ListChildrenAsync(parentId, null, Added(parentId, ChangeKind.Update), batch, (_, _) => Commit(batch), stop).ConfigureAwait(false);
        }
        Commit(batch, () => _state.Events = Math.Max(_state.Events ?? upTo, upTo));
    }

    /// <summary>Reads a changed object again at the pinned API version.</summary>
    private async Task RefetchAsync(Batch batch, string id, ChangeKind change, CancellationToken stop)
    {
        FetchedObject fetched;
        try
        {
            fetched = await _context.Client.RetrieveAsync(Stream.Path + "/" + Uri.EscapeDataString(id), stop).ConfigureAwait(false);
        }
        catch (StripeApiException e) when (e.IsResourceMissing)
        {
            // Deleted since the event: its deletion event follows.
            Log.Debug($"Skipping a change to {id}: it no longer exists");
            return;
        }
        using (fetched)
        {
            batch.Add(_binding.Index, fetched.Json, Added(null, fetched.Deleted ? ChangeKind.Delete : change));
        }
    }

    private void AddRelist(EventCycle cycle, string parentId)
    {
        if (cycle.RelistSet.Add(parentId))
        {
            cycle.Relist.Add(parentId);
        }
    }

    /// <summary>An event of a shared type (a customer source) concerns this stream only for its kind of object.</summary>
    private bool IsOwnObject(StripeEvent e)
    {
        foreach (var (name, value) in Stream.Query)
        {
            if (name == "object" && e.ObjectKind != value)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>A deleted object's document: enough to remove it from the collection whatever its last shape.</summary>
    private void AppendTombstone(Batch batch, string id, string? kind, byte[] added)
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
        batch.Add(_binding.Index, buffer.WrittenSpan, added);
    }

    /// <summary>The members the connector adds to a document from an event: the parent's id and <c>_meta</c>.</summary>
    private byte[] Added(string? parentId, ChangeKind change)
    {
        var meta = change switch
        {
            ChangeKind.Create => "\"_meta\":{\"op\":\"c\"}"u8,
            ChangeKind.Update => "\"_meta\":{\"op\":\"u\"}"u8,
            _ => "\"_meta\":{\"op\":\"d\"}"u8,
        };
        if (Stream.Parent is not { } link || parentId is null)
        {
            return meta.ToArray();
        }
        return [.. DocumentLines.StringMember(link.IdField, parentId), (byte)',', .. meta];
    }
}
