namespace SourceStripe.Capture.Events;

/// <summary>
/// The objects an events cycle has already captured for one binding. Events come newest first, so an
/// object's first event carries its latest version and its older events are passed over. Bounded: past
/// <see cref="Capacity"/> ids an object cannot be told apart, and is read again from Stripe instead
/// (<see cref="Add"/> answers null), which is current whatever order its events came in.
/// </summary>
public sealed class SeenObjects(int capacity = SeenObjects.DefaultCapacity)
{
    public const int DefaultCapacity = 50_000;

    private readonly HashSet<string> _ids = new(StringComparer.Ordinal);

    public int Capacity => capacity;

    /// <summary>True the first time an object is seen, false after; null once the set is full and the object is not in it.</summary>
    public bool? Add(string id)
    {
        if (_ids.Contains(id))
        {
            return false;
        }
        if (_ids.Count >= capacity)
        {
            return null;
        }
        _ids.Add(id);
        return true;
    }
}
