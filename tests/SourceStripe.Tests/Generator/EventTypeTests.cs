using System.Reflection;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Generator;

/// <summary>Every event type streams.yaml names is one Stripe sends: Stripe.net's <c>EventTypes</c> lists them all.</summary>
public sealed class EventTypeTests
{
    /// <summary>
    /// Types the seed's streams name that Stripe.net 53.1.0 does not list; they are kept so that nothing about the
    /// seed's 22 streams changes, and an event that never comes costs nothing. Issue 13's streams name none.
    /// </summary>
    private static readonly string[] Unlisted =
    [
        "bank_accounts: customer.bank_account.created", "bank_accounts: customer.bank_account.deleted", "bank_accounts: customer.bank_account.updated",
        "invoice_items: invoiceitem.updated", "payment_intents: payment_intent.updated",
    ];

    [Fact]
    public void Every_event_type_of_every_stream_is_one_stripe_net_lists()
    {
        var known = typeof(global::Stripe.EventTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToHashSet(StringComparer.Ordinal);
        var unknown = StreamCatalog.All.SelectMany(s => s.Events.Select(e => $"{s.Name}: {e.Type}"))
            .Where(e => !known.Contains(e[(e.IndexOf(": ", StringComparison.Ordinal) + 2)..]))
            .ToList();
        Assert.Equal(Unlisted, unknown.Order(StringComparer.Ordinal));
    }
}
