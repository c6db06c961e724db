namespace SourceStripe.Capture.Scheduling;

/// <summary>
/// Items waiting for a share of something (idle capacity), each at most once in the line, served in turn:
/// an item that got its share goes to the back, one with nothing to take leaves the line until it is added
/// again. So a thousand small accounts and one huge one each get every thousand-and-first share.
/// </summary>
public sealed class TakeInTurn<T>
    where T : class
{
    private readonly Lock _lock = new();
    private readonly Queue<T> _line = new();
    private readonly HashSet<T> _waiting = new(ReferenceEqualityComparer.Instance);

    /// <summary>Puts <paramref name="item"/> at the back of the line, unless it is in it already.</summary>
    public void Add(T item)
    {
        lock (_lock)
        {
            if (_waiting.Add(item))
            {
                _line.Enqueue(item);
            }
        }
    }

    /// <summary>The first share <paramref name="take"/> gives, from the items in line order; null when none has one.</summary>
    public TShare? Next<TShare>(Func<T, TShare?> take)
        where TShare : class
    {
        while (true)
        {
            T item;
            lock (_lock)
            {
                if (!_line.TryDequeue(out item!))
                {
                    return null;
                }
                _waiting.Remove(item);
            }
            // Outside the lock: taking a share may add items to the line.
            if (take(item) is { } share)
            {
                Add(item);
                return share;
            }
        }
    }
}
