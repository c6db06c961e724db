using System.Buffers;
using System.Text.Json;
using SourceStripe.Streams;

namespace SourceStripe.Simulator;

/// <summary>Stripe events: which type a change emits, and the event object that carries it.</summary>
internal static class EventFactory
{
    /// <summary>The event Stripe emits when an object of this stream is created, or null (immutable ledgers,
    /// open checkout sessions, child objects announced through their parent).</summary>
    public static string? CreatedType(StreamDescriptor stream, string? status) => stream.Name switch
    {
        "charges" => status switch
        {
            "failed" => "charge.failed",
            "pending" => "charge.pending",
            _ => "charge.succeeded",
        },
        "checkout_sessions" => status switch
        {
            "complete" => "checkout.session.completed",
            "expired" => "checkout.session.expired",
            _ => null,
        },
        _ => First(stream, ChangeKind.Create),
    };

    /// <summary>The event an update emits: the stream's <c>*.updated</c> type, else its first update type.</summary>
    public static string? UpdatedType(StreamDescriptor stream) =>
        stream.Events.FirstOrDefault(e => e.Change == ChangeKind.Update && e.Type.EndsWith(".updated", StringComparison.Ordinal))?.Type
        ?? First(stream, ChangeKind.Update);

    /// <summary>
    /// The event an update that moves the object from <paramref name="oldStatus"/> to <paramref name="newStatus"/>
    /// emits: the stream's type naming the new status where there is one (<c>charge.failed</c>,
    /// <c>payment_intent.canceled</c>, <c>invoice.voided</c>, <c>customer.subscription.deleted</c> for a cancellation,
    /// <c>checkout.session.completed</c>...), else <see cref="UpdatedType(StreamDescriptor)"/>.
    /// </summary>
    public static string? UpdatedType(StreamDescriptor stream, string? oldStatus, string? newStatus)
    {
        if (newStatus is null || newStatus == oldStatus || stream.Events.IsDefaultOrEmpty)
        {
            return UpdatedType(stream);
        }
        var suffix = (stream.Name, newStatus) switch
        {
            ("subscriptions", "canceled") => "deleted",
            ("subscriptions", "active") when oldStatus == "paused" => "resumed",
            ("invoices", "open") when oldStatus == "draft" => "finalized",
            ("invoices", "void") => "voided",
            ("invoices", "uncollectible") => "marked_uncollectible",
            ("disputes", "won" or "lost") => "closed",
            ("checkout_sessions", "complete") => "completed",
            _ => newStatus,
        };
        var first = stream.Events[0].Type;
        var type = string.Concat(first.AsSpan(0, first.LastIndexOf('.') + 1), suffix);
        return stream.Events.Any(e => e.Change == ChangeKind.Update && e.Type == type) ? type : UpdatedType(stream);
    }

    public static string? DeletedType(StreamDescriptor stream) =>
        stream.Name == "subscriptions" ? "customer.subscription.deleted" : First(stream, ChangeKind.Delete);

    private static string? First(StreamDescriptor stream, ChangeKind change) =>
        stream.Events.FirstOrDefault(e => e.Change == change)?.Type;

    /// <summary>An event object, in the pinned API version unless <paramref name="apiVersion"/> says otherwise.
    /// <paramref name="previousAttributes"/> is written when given (updates).</summary>
    public static byte[] Build(string id, long created, string type, ReadOnlySpan<byte> dataObject, ReadOnlySpan<byte> previousAttributes = default,
        string? apiVersion = null)
    {
        var buffer = new ArrayBufferWriter<byte>(dataObject.Length + previousAttributes.Length + 320);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "event");
            w.WriteNull("account");
            w.WriteString("api_version", apiVersion ?? StripeApiVersion.Pinned);
            w.WriteNull("context");
            w.WriteNumber("created", created);
            w.WriteStartObject("data");
            w.WritePropertyName("object");
            w.WriteRawValue(dataObject, skipInputValidation: true);
            if (!previousAttributes.IsEmpty)
            {
                w.WritePropertyName("previous_attributes");
                w.WriteRawValue(previousAttributes, skipInputValidation: true);
            }
            w.WriteEndObject();
            w.WriteBoolean("livemode", false);
            w.WriteNumber("pending_webhooks", 0);
            w.WriteStartObject("request");
            w.WriteNull("id");
            w.WriteNull("idempotency_key");
            w.WriteEndObject();
            w.WriteString("type", type);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
