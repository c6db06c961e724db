namespace SourceStripe.Capture.Events;

/// <summary>What <see cref="AppliedChanges.Record"/> makes of an event.</summary>
public enum ChangeVerdict
{
    /// <summary>Newer than anything applied to its object: its payload may be used.</summary>
    Apply,

    /// <summary>Its object's latest version cannot be told from it: read the object again.</summary>
    Refetch,

    /// <summary>Applied already, or older than a change applied to its object: nothing to do.</summary>
    Skip,
}

/// <summary>
/// The latest event applied to each recently changed object, shared by webhook deliveries and events polls when
/// webhooks are on: Stripe delivers an event more than once, in no set order, and the poll lists it again later, so
/// each object keeps the time and id of the newest event applied to it. A repeat, or an event older than one
/// applied, is skipped; one as old as it (the same second) has its object read again. Bounded: the last
/// <see cref="Capacity"/> objects changed are remembered, the oldest forgotten first (about 300 bytes each, 3 MB
/// when full); a forgotten object's event is applied as new, which the next poll corrects should it be older than
/// what was applied (the poll reads each object's events newest first).
/// </summary>
/// <remarks>
/// Deciding in that order is not enough: a poll's page decides, then reads other objects again before it commits,
/// and a newer delivery of the same object decided meanwhile could commit first, its document then overwritten by
/// the older one. So each application carries a <see cref="CommitOrder"/>, and commits only after those that
/// decided on its objects before it.
/// </remarks>
public sealed class AppliedChanges(int capacity = AppliedChanges.DefaultCapacity)
{
    public const int DefaultCapacity = 10_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<(int Binding, string Object), (long Created, string EventId, Task Committed)> _latest = [];
    private readonly Queue<(int Binding, string Object)> _order = new();

    public int Capacity => capacity;

    /// <summary>
    /// Records that event <paramref name="eventId"/>, created at <paramref name="created"/> (unix seconds), changes
    /// <paramref name="objectId"/> in binding <paramref name="binding"/>, and says what to do with it. An event not
    /// newer than <paramref name="polledUpTo"/> (the binding's events cursor, for a delivery: the poll applied events
    /// up to it) on an object not remembered is read again, as something newer may have been applied before.
    /// </summary>
    /// <remarks>The application that applies it is <paramref name="order"/>, which learns whose commit to follow.</remarks>
    public ChangeVerdict Record(int binding, string objectId, string eventId, long created, long polledUpTo, CommitOrder order)
    {
        var key = (binding, objectId);
        lock (_lock)
        {
            if (_latest.TryGetValue(key, out var known))
            {
                if (known.EventId == eventId || created < known.Created)
                {
                    return ChangeVerdict.Skip;
                }
                if (!known.Committed.IsCompleted && known.Committed != order.Committed)
                {
                    order.Follow(known.Committed);
                }
                _latest[key] = (created, eventId, order.Committed);
                return created == known.Created ? ChangeVerdict.Refetch : ChangeVerdict.Apply;
            }
            if (_latest.Count >= capacity)
            {
                _latest.Remove(_order.Dequeue());
            }
            _latest.Add(key, (created, eventId, order.Committed));
            _order.Enqueue(key);
            return created <= polledUpTo ? ChangeVerdict.Refetch : ChangeVerdict.Apply;
        }
    }
}

/// <summary>
/// One application of changes (a poll's page for one binding, or a delivery): the earlier applications to the same
/// objects whose commits it must follow, and its own commit, which later ones follow. Decisions are made in one
/// order under <see cref="AppliedChanges"/>' lock and each waits only for earlier ones, so none waits for itself.
/// </summary>
public sealed class CommitOrder
{
    private readonly TaskCompletionSource _committed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<Task>? _after;

    /// <summary>Completes once this application has committed, or given up.</summary>
    public Task Committed => _committed.Task;

    /// <summary>Must commit after <paramref name="earlier"/>. Called under the lock of the application's triage.</summary>
    internal void Follow(Task earlier) => (_after ??= []).Add(earlier);

    /// <summary>Completes once every earlier application to the same objects has committed.</summary>
    public Task EarlierCommitted() => _after is null ? Task.CompletedTask : Task.WhenAll(_after);

    /// <summary>Committed (or given up): later applications to the same objects may commit.</summary>
    public void Done() => _committed.TrySetResult();
}
