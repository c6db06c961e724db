using System.Buffers;
using System.Text.Json;

namespace SourceStripe.Simulator;

/// <summary>Stripe events: which type a change emits, and the event object that carries it.</summary>
internal static class EventFactory
{
    /// <summary>The event Stripe emits when an object of this resource is created, or null (immutable ledgers,
    /// open checkout sessions, child objects announced through their parent).</summary>
    public static string? CreatedType(Resource resource, string? status) => resource.CreatedByStatus(status);

    /// <summary>
    /// The event an update that moves the object from <paramref name="oldStatus"/> to <paramref name="newStatus"/>
    /// emits: the type naming the new status where Stripe has one (<c>charge.failed</c>, <c>invoice.voided</c>,
    /// <c>customer.subscription.deleted</c> for a cancellation...), else the resource's update type.
    /// </summary>
    public static string? UpdatedType(Resource resource, string? oldStatus = null, string? newStatus = null)
    {
        if (newStatus is null || newStatus == oldStatus)
        {
            return resource.Events.Updated;
        }
        if (resource.Name == "subscriptions" && oldStatus == "paused" && newStatus == "active")
        {
            return "customer.subscription.resumed";
        }
        if (resource.Name == "invoices" && newStatus == "open" && oldStatus != "draft")
        {
            return resource.Events.Updated;
        }
        return resource.Events.ByStatus?.GetValueOrDefault(newStatus) ?? resource.Events.Updated;
    }

    public static string? DeletedType(Resource resource) => resource.Events.Deleted;

    /// <summary>An event object rendered in <paramref name="apiVersion"/>.
    /// <paramref name="previousAttributes"/> is written when given (updates). <paramref name="account"/> is the
    /// top-level <c>account</c> Stripe gives an event of a connected account (null on the platform's own).
    /// <paramref name="pendingWebhooks"/>: the destinations it is sent to, as Stripe counts them when it is created.</summary>
    public static byte[] Build(string id, long created, string type, string apiVersion, ReadOnlySpan<byte> dataObject,
        ReadOnlySpan<byte> previousAttributes = default, string? account = null, int pendingWebhooks = 0)
    {
        var buffer = new ArrayBufferWriter<byte>(dataObject.Length + previousAttributes.Length + 320);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", id);
            w.WriteString("object", "event");
            if (account is null)
            {
                w.WriteNull("account");
            }
            else
            {
                w.WriteString("account", account);
            }
            w.WriteString("api_version", apiVersion);
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
            w.WriteNumber("pending_webhooks", pendingWebhooks);
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
