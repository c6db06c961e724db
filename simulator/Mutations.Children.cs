using System.Text.Json.Nodes;
using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator;

/// <summary>What a change of a child object does to the account: its own events, its parent's embedded page.</summary>
internal sealed partial class Mutations
{
    /// <summary>The events a change of a child object causes.</summary>
    private void ChildChanged(Resource descriptor, SimulatedObject child, Change change, ReadOnlySpan<byte> previous)
    {
        // A child with events of its own (a customer's sources, tax ids, payment methods; an account's persons) emits
        // them; one embedded in its parent changes the parent, which announces it unless the child's own event does.
        var type = change switch { Change.Create => descriptor.Events.Created, Change.Update => descriptor.Events.Updated, _ => descriptor.Events.Deleted };
        if (type is not null)
        {
            Emit(type, child.Utf8.Span, change == Change.Update ? previous : default);
        }
        if (descriptor.EmbeddedIn is not null && (change != Change.Delete || descriptor.Events.Deleted is null))
        {
            RefreshParent(descriptor, child.ParentId!, emit: type is null);
        }
        if (descriptor.Name == "customer_balance_transactions" && change == Change.Create)
        {
            MoveBalance(child);
        }
    }

    /// <summary>Re-embeds a parent's first page of children (and an invoice's totals); emits the parent's update event.</summary>
    private SimulatedObject RefreshParent(Resource childStream, string parentId, bool emit)
    {
        var parentStream = Descriptor(childStream.Parent!);
        var parent = account.Table(parentStream.Name).Find(parentId)!;
        var field = childStream.EmbeddedIn!;
        var children = account.Table(childStream.Name).Store(parentId).Items;
        var before = parent.ToJsonObject();
        var after = (JsonObject)before.DeepClone();
        after[field] = JsonNode.Parse(EmbeddedList.Build([.. children.Select(c => c.Utf8)], EmbeddedList.Url(childStream, parentId)));
        if (parentStream.Name == "invoices")
        {
            var total = children.Sum(c => c.ToJsonObject()["amount"]?.GetValue<long>() ?? 0);
            var paid = after["status"]?.GetValue<string>() == "paid" ? total : 0;
            foreach (var name in (string[])["total", "subtotal", "total_excluding_tax", "subtotal_excluding_tax", "amount_due"])
            {
                after[name] = total;
            }
            after["amount_paid"] = paid;
            after["amount_remaining"] = total - paid;
        }
        var updated = Replace(parentStream, parent, after);
        if (emit)
        {
            Emit(EventFactory.UpdatedType(parentStream), updated.Utf8.Span, Diff(before, after));
        }
        return updated;
    }

    private void MoveBalance(SimulatedObject transaction)
    {
        var customers = Descriptor("customers");
        var customer = account.Table("customers").Find(transaction.ParentId!)!;
        var before = customer.ToJsonObject();
        var after = (JsonObject)before.DeepClone();
        var balance = (before["balance"]?.GetValue<long>() ?? 0) + (transaction.ToJsonObject()["amount"]?.GetValue<long>() ?? 0);
        after["balance"] = balance;
        var node = transaction.ToJsonObject();
        node["ending_balance"] = balance;
        Replace(Descriptor("customer_balance_transactions"), transaction, node);
        Emit(EventFactory.UpdatedType(customers), Replace(customers, customer, after).Utf8.Span, Diff(before, after));
    }
}
