using SourceStripe.Streams;

namespace SourceStripe.Simulator;

/// <summary>A matched request: the stream, the parent whose children are listed, or the object retrieved.</summary>
internal sealed record Route(StreamDescriptor Stream, string? ParentId, string? RetrieveId, ListParams Allowed)
{
    public bool IsRetrieve => RetrieveId is not null;
}

/// <summary>
/// Maps request paths to streams using the list paths of streams.yaml: <c>/v1/charges</c> lists charges,
/// <c>/v1/customers/cus_1/sources</c> lists a customer's sources, <c>/v1/charges/ch_1</c> retrieves one charge (any
/// stream whose list path has no <c>{param}</c>: top-level streams and <c>/v1/subscription_items/si_1</c>).
/// A child whose parent is named by a query parameter (<c>/v1/subscription_items?subscription=</c>) gets it later.
/// </summary>
internal sealed class Router
{
    /// <summary>Statuses each filterable list accepts, as Stripe documents them.</summary>
    public static readonly IReadOnlyDictionary<string, string[]> Statuses = new Dictionary<string, string[]>
    {
        ["subscriptions"] = ["active", "all", "canceled", "ended", "incomplete", "incomplete_expired", "past_due", "paused", "trialing", "unpaid"],
        ["invoices"] = ["draft", "open", "paid", "uncollectible", "void"],
        ["payouts"] = ["pending", "paid", "failed", "canceled", "in_transit"],
        ["checkout_sessions"] = ["open", "complete", "expired"],
    };

    private readonly List<(string[] Segments, StreamDescriptor Stream)> _templates =
        [.. StreamCatalog.All.Select(s => (s.Path.Split('/', StringSplitOptions.RemoveEmptyEntries), s))];

    public Route? Match(string path)
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var (template, stream) in _templates)
        {
            if (segments.Length == template.Length && Matches(template, segments, out var parentId))
            {
                return new Route(stream, parentId, null, Allowed(stream));
            }
        }
        foreach (var (template, stream) in _templates)
        {
            if (!stream.Path.Contains('{', StringComparison.Ordinal) && segments.Length == template.Length + 1 && Matches(template, segments, out _))
            {
                return new Route(stream, null, segments[^1], ListParams.None);
            }
        }
        return null;
    }

    private static bool Matches(string[] template, string[] segments, out string? parentId)
    {
        parentId = null;
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i].StartsWith('{'))
            {
                parentId = segments[i];
            }
            else if (template[i] != segments[i])
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The parameters Stripe's list endpoint for this stream takes.</summary>
    private static ListParams Allowed(StreamDescriptor stream)
    {
        var allowed = stream.Name switch
        {
            "events" => ListParams.Created | ListParams.EventTypes,
            "bank_accounts" => ListParams.Object,
            "subscription_items" => ListParams.Subscription,
            "customer_balance_transactions" => ListParams.Created,
            _ when stream.Parent is not null => ListParams.None,
            _ => ListParams.Created,
        };
        return Statuses.ContainsKey(stream.Name) ? allowed | ListParams.Status : allowed;
    }
}
