using System.Text;
using System.Text.Json.Nodes;

namespace SourceStripe.Simulator;

/// <summary>
/// One object of the simulated account, exactly as the list endpoints serve it (immutable UTF-8 JSON), with the
/// facts tests need without parsing it.
/// </summary>
public sealed class SimulatedObject
{
    internal SimulatedObject(string stream, string id, long created, string? parentId, string? status, byte[] utf8, string? eventType = null,
        DateTimeOffset? visibleAt = null)
    {
        Stream = stream;
        Id = id;
        Created = created;
        ParentId = parentId;
        Status = status;
        Json = utf8;
        EventType = eventType;
        VisibleAt = visibleAt ?? (stream == "events" ? DateTimeOffset.FromUnixTimeSeconds(created) : null);
    }

    /// <summary>The stream (streams.yaml name) the object belongs to.</summary>
    public string Stream { get; }

    public string Id { get; }

    /// <summary>
    /// The unix time the list endpoint orders and filters on: <c>created</c> (for invoice items their <c>date</c>;
    /// for children without a creation time, their parent's creation time or the time they were added).
    /// </summary>
    public long Created { get; }

    /// <summary>The parent's id, for objects of child streams.</summary>
    public string? ParentId { get; }

    /// <summary>The object's <c>status</c>, where it has one.</summary>
    public string? Status { get; }

    /// <summary>For events, their <c>type</c>.</summary>
    public string? EventType { get; }

    /// <summary>For events, when <c>/v1/events</c> starts listing them (simulator clock): their creation, later under
    /// <see cref="SimulatorOptions.EventVisibilityDelay"/> or <c>EmitEvent(visibleAfter:)</c>. Null for other objects.</summary>
    public DateTimeOffset? VisibleAt { get; }

    /// <summary>The object's JSON as served.</summary>
    public ReadOnlyMemory<byte> Utf8 => Json;

    /// <summary>The same bytes, for the simulator's own use (never handed out mutable).</summary>
    internal byte[] Json { get; }

    /// <summary>A fresh, detached copy of the object.</summary>
    public JsonObject ToJsonObject() => JsonNode.Parse(Utf8.Span)!.AsObject();

    public override string ToString() => Encoding.UTF8.GetString(Utf8.Span);

    internal SimulatedObject With(byte[] utf8, long created, string? status) => new(Stream, Id, created, ParentId, status, utf8);

    /// <summary>Whether lists show the object at <paramref name="now"/> (only events can be hidden).</summary>
    internal bool IsVisible(DateTimeOffset now) => VisibleAt is not { } at || at <= now;

    /// <summary>Stripe's list order: newest first, ties broken by id, greatest first.</summary>
    internal static int Order(long createdA, string idA, long createdB, string idB)
    {
        var byTime = createdB.CompareTo(createdA);
        return byTime != 0 ? byTime : string.CompareOrdinal(idB, idA);
    }
}
