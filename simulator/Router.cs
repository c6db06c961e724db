namespace SourceStripe.Simulator;

/// <summary>A matched request: the resource, the parent whose children are listed, or the object retrieved.</summary>
internal sealed record Route(Resource Resource, string? ParentId, string? RetrieveId, ListParams Allowed)
{
    public bool IsRetrieve => RetrieveId is not null;
}

/// <summary>
/// Maps request paths to resources by their list paths: <c>/v1/charges</c> lists charges,
/// <c>/v1/customers/cus_1/sources</c> lists a customer's sources, <c>/v1/charges/ch_1</c> retrieves one charge (any
/// resource whose list path names no parent: top-level lists and <c>/v1/subscription_items/si_1</c>).
/// A child whose parent is named by a query parameter (<c>/v1/subscription_items?subscription=</c>) gets it later.
/// </summary>
internal sealed class Router
{
    /// <summary>One template per endpoint: resources sharing an endpoint (a customer's sources) answer as its first.</summary>
    private readonly List<(string[] Segments, Resource Resource)> _templates =
        [.. Resources.All.DistinctBy(r => r.Path).Select(r => (r.Path.Split('/', StringSplitOptions.RemoveEmptyEntries), r))];

    public Route? Match(string path, string rawQuery = "")
    {
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var (template, resource) in _templates)
        {
            if (segments.Length == template.Length && Matches(template, segments, out var parentId))
            {
                var chosen = ByParentParam(resource, rawQuery);
                return new Route(chosen, parentId, null, Allowed(chosen));
            }
        }
        foreach (var (template, resource) in _templates)
        {
            // A child is retrieved under its parent (/v1/customers/cus_1/tax_ids/txi_1), as Stripe's reference shows.
            if (segments.Length == template.Length + 1 && Matches(template, segments, out var parentId) && (resource.Retrievable || parentId is not null))
            {
                return new Route(resource, parentId, segments[^1], ListParams.None);
            }
        }
        return null;
    }

    /// <summary>
    /// On an endpoint that lists a parent's children when given the parent's id (<c>/v1/balance_transactions?payout=</c>),
    /// the child resource when the query names a parent.
    /// </summary>
    private static Resource ByParentParam(Resource resource, string rawQuery)
    {
        foreach (var other in Resources.All)
        {
            if (other.Path == resource.Path && other.ParentParam is { } param && other != resource
                && rawQuery.Split('&').Any(p => p.StartsWith(param + "=", StringComparison.Ordinal)))
            {
                return other;
            }
        }
        return resource;
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

    /// <summary>The parameters Stripe's list endpoint for this resource takes.</summary>
    private static ListParams Allowed(Resource resource)
    {
        var allowed = resource.Created ? ListParams.Created : ListParams.None;
        if (resource.Name == "events")
        {
            allowed |= ListParams.EventTypes;
        }
        if (resource.Selector is not null)
        {
            allowed |= ListParams.Object;
        }
        if (resource.ParentIn == ParentIn.Query)
        {
            allowed |= ListParams.Parent;
        }
        return resource.Statuses is not null ? allowed | ListParams.Status : allowed;
    }
}
