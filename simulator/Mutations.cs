using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Simulator.Generation;
using SourceStripe.Simulator.Webhooks;

namespace SourceStripe.Simulator;

/// <summary>
/// Creates, updates and deletes objects at the simulator's "now", emitting the events Stripe would: the stream's
/// own events for top-level objects, <c>customer.source.*</c> for bank accounts, the parent's update event for
/// invoice lines and subscription items (whose first page the parent embeds), <c>customer.updated</c> for a new
/// customer balance transaction (it moves the customer's balance). An update that changes an object's status emits
/// the type naming the new status where Stripe has one (<see cref="EventFactory.UpdatedType"/>).
/// Checkout session line items change silently (Stripe has no event for them). Events carry the object after the
/// change; deletion events its last state. Each event becomes visible to lists after its visibility delay.
/// </summary>
internal sealed partial class Mutations(SimulatorAccount account, SimulatorOptions options, WebhookDispatcher? webhooks = null) : IReferenceSource
{
    private enum Change
    {
        Create,
        Update,
        Delete,
    }


    public JsonObject Create(string stream, Action<JsonObject>? edit, string? parentId)
    {
        lock (account.Gate)
        {
            var descriptor = Descriptor(stream);
            if (descriptor.Parent is { } parent)
            {
                if (parentId is null || account.Table(parent).Find(parentId) is null)
                {
                    throw new ArgumentException($"A {stream} object needs the id of an existing {parent} object as parentId.", nameof(parentId));
                }
            }
            else if (parentId is not null)
            {
                throw new ArgumentException($"{stream} is not a child stream: pass no parentId.", nameof(parentId));
            }
            var created = Add(descriptor, parentId, edit);
            // Stripe never has a subscription without items nor a checkout session without line items.
            var child = stream switch { "subscriptions" => "subscription_items", "checkout_sessions" => "checkout_sessions_line_items", _ => null };
            if (child is not null)
            {
                Add(Descriptor(child), created.Id, null);
                if (Descriptor(child).EmbeddedIn is not null)
                {
                    created = RefreshParent(Descriptor(child), created.Id, emit: false);
                }
            }
            if (descriptor.Parent is null)
            {
                Emit(EventFactory.CreatedType(descriptor, created.Status), created.Utf8.Span);
            }
            else
            {
                ChildChanged(descriptor, created, Change.Create, default);
            }
            return created.ToJsonObject();
        }
    }

    public JsonObject Update(string stream, string id, Action<JsonObject> edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        lock (account.Gate)
        {
            var descriptor = Descriptor(stream);
            var old = Live(descriptor, id);
            var before = old.ToJsonObject();
            var after = (JsonObject)before.DeepClone();
            edit(after);
            var updated = Replace(descriptor, old, after);
            var previous = Diff(before, after);
            if (descriptor.Parent is null)
            {
                Emit(EventFactory.UpdatedType(descriptor, old.Status, updated.Status), updated.Utf8.Span, previous);
            }
            else
            {
                ChildChanged(descriptor, updated, Change.Update, previous);
            }
            return updated.ToJsonObject();
        }
    }

    public void Delete(string stream, string id)
    {
        lock (account.Gate)
        {
            var descriptor = Descriptor(stream);
            var old = Live(descriptor, id);
            if (stream == "subscriptions")
            {
                if (old.Status is "canceled" or "incomplete_expired")
                {
                    throw new InvalidOperationException($"Subscription {id} is already {old.Status}: Stripe cannot cancel it again.");
                }
                var now = account.NowUnix;
                var canceled = old.ToJsonObject();
                canceled["status"] = "canceled";
                canceled["canceled_at"] = now;
                canceled["ended_at"] = now;
                Emit(EventFactory.DeletedType(descriptor), Replace(descriptor, old, canceled).Utf8.Span);
                return;
            }
            var type = descriptor.Parent is null ? EventFactory.DeletedType(descriptor) : null;
            if (descriptor.Parent is null && type is null || stream == "customer_balance_transactions")
            {
                throw new InvalidOperationException($"Stripe cannot delete {stream} objects: there is no such API call nor event.");
            }
            if (stream == "invoices" && old.Status != "draft")
            {
                throw new InvalidOperationException(
                    $"Stripe deletes only draft invoices; {id} is {old.Status ?? "not a draft"} (void it or mark it uncollectible with Update).");
            }
            account.Table(stream).Delete(old);
            foreach (var child in Resources.ChildrenOf(stream))
            {
                foreach (var orphan in account.Table(child.Name).Store(id).Items.ToList())
                {
                    account.Table(child.Name).Delete(orphan);
                }
            }
            if (type is not null)
            {
                Emit(type, old.Utf8.Span);
            }
            else
            {
                ChildChanged(descriptor, old, Change.Delete, default);
            }
        }
    }

    /// <summary>Generates a new object like the generated ones, applies the edit and stores it (no events).</summary>
    private SimulatedObject Add(Resource descriptor, string? parentId, Action<JsonObject>? edit)
    {
        var rng = Rng.For(account.Seed, "mutation", descriptor.Name, account.Mutations++);
        var id = account.NewId(descriptor.IdPrefix, ref rng);
        var ctx = new ObjectContext(descriptor.Name, id, account.NowUnix, rng);
        var sample = Samples.For(descriptor.Name);
        StreamProfiles.Apply(ctx, sample, this, parentId);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var w = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            SampleWriter.Write(sample, ctx, w);
        }
        var node = JsonNode.Parse(buffer.WrittenSpan)!.AsObject();
        edit?.Invoke(node);
        var json = JsonOutput.ToUtf8(node);
        var (created, status) = Facts(descriptor, json, id, ctx.Created);
        var item = new SimulatedObject(descriptor.Name, id, created, parentId, status, json);
        account.Table(descriptor.Name).Add(item);
        return item;
    }

    private SimulatedObject Replace(Resource descriptor, SimulatedObject old, JsonObject node)
    {
        var json = JsonOutput.ToUtf8(node);
        var (created, status) = Facts(descriptor, json, old.Id, old.Created);
        var updated = old.With(json, created, status);
        account.Table(descriptor.Name).Replace(old, updated);
        return updated;
    }

    /// <summary>The list order time (the cursor field, kept when absent) and status of an edited object, read back
    /// from its JSON (an edit may have stored an int where the document has a long).</summary>
    private static (long Created, string? Status) Facts(Resource descriptor, byte[] json, string id, long fallback)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        if (!root.TryGetProperty("id", out var idValue) || idValue.ValueKind != JsonValueKind.String || idValue.GetString() != id)
        {
            throw new ArgumentException($"An edit must not change the id ({id}).");
        }
        var time = root.TryGetProperty(descriptor.TimeField, out var t) && t.ValueKind == JsonValueKind.Number
            && t.TryGetInt64(out var seconds) ? seconds : fallback;
        var status = root.TryGetProperty("status", out var st) && st.ValueKind == JsonValueKind.String ? st.GetString() : null;
        return (time, status);
    }

    /// <summary>The old values of the top-level fields an edit changed, as Stripe's <c>previous_attributes</c>.</summary>
    private static byte[] Diff(JsonObject before, JsonObject after)
    {
        var previous = new JsonObject();
        foreach (var name in before.Select(p => p.Key).Union(after.Select(p => p.Key)))
        {
            before.TryGetPropertyValue(name, out var old);
            after.TryGetPropertyValue(name, out var now);
            if (!JsonNode.DeepEquals(old, now))
            {
                previous[name] = old?.DeepClone();
            }
        }
        return JsonOutput.ToUtf8(previous);
    }

    /// <summary>Appends an event as <see cref="StripeSimulator.EmitEvent"/> describes; no stored object changes.</summary>
    public JsonObject EmitEvent(string type, JsonObject dataObject, string? apiVersion, JsonObject? previousAttributes,
        TimeSpan? visibleAfter, DateTimeOffset? created)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(type);
        ArgumentNullException.ThrowIfNull(dataObject);
        if (visibleAfter < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(visibleAfter), visibleAfter, "The visibility delay cannot be negative.");
        }
        lock (account.Gate)
        {
            var previous = previousAttributes is null ? null : JsonOutput.ToUtf8(previousAttributes);
            var at = (created ?? account.Now).ToUnixTimeSeconds();
            return Append(type, JsonOutput.ToUtf8(dataObject), previous, apiVersion ?? options.ApiVersion, at, visibleAfter ?? TimeSpan.Zero).ToJsonObject();
        }
    }

    /// <summary>Emits a change's event now, visible after the event's pseudo-random visibility delay.</summary>
    private void Emit(string? type, ReadOnlySpan<byte> data, ReadOnlySpan<byte> previous = default)
    {
        if (type is not null)
        {
            Append(type, data, previous, options.ApiVersion, account.NowUnix, null);
        }
    }

    private SimulatedObject Append(string type, ReadOnlySpan<byte> data, ReadOnlySpan<byte> previous, string apiVersion, long created, TimeSpan? visibleAfter,
        string? eventAccount = null)
    {
        var rng = Rng.For(account.Seed, "mutation", "events", account.Mutations++);
        var id = account.NewId("evt_", ref rng);
        var visibleAt = DateTimeOffset.FromUnixTimeSeconds(created) + (visibleAfter ?? VisibilityDelay(id));
        var owner = eventAccount ?? options.EventAccount;
        // Stripe sends an event to the destinations registered when it happens, whether or not lists show it yet.
        var destinations = webhooks?.Matching(type, fromConnectedAccount: owner is not null) ?? [];
        var json = EventFactory.Build(id, created, type, apiVersion, data, previous, owner, destinations.Count);
        var item = new SimulatedObject("events", id, created, null, null, json, type, visibleAt);
        account.Table("events").Add(item);
        if (destinations.Count > 0)
        {
            webhooks!.Publish(item, owner, destinations);
        }
        return item;
    }

    /// <summary>The delay in [0, EventVisibilityDelay) after which lists show a mutation's event: from the seed and the id.</summary>
    private TimeSpan VisibilityDelay(string eventId)
    {
        if (options.EventVisibilityDelay <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }
        var rng = Rng.For(account.Seed, "visibility", eventId, 0);
        return TimeSpan.FromTicks(rng.NextLong(0, options.EventVisibilityDelay.Ticks));
    }

    private SimulatedObject Live(Resource descriptor, string id) =>
        account.Table(descriptor.Name).Find(id) ?? throw new KeyNotFoundException($"No {descriptor.Name} object '{id}'.");

    private static Resource Descriptor(string stream) =>
        stream == "events" ? throw new ArgumentException("Events are emitted by mutations; they cannot be changed directly.", nameof(stream))
        : Resources.Find(stream) ?? throw new ArgumentException($"Unknown resource '{stream}'.", nameof(stream));
}
