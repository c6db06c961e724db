using System.Buffers;

namespace SourceStripe.Stripe;

/// <summary>
/// What Stripe's per-endpoint limit counts a request against: one named operation (<c>GET /v1/charges</c>, the
/// list; <c>GET /v1/charges/*</c>, a retrieve of any charge; <c>GET /v1/customers/*/sources</c>, any customer's
/// sources) for one account, the one the request is made for (<c>Stripe-Account</c>; null: the key's own).
/// The query string does not matter: <c>/v1/balance_transactions?payout=…</c> is the list of balance transactions.
/// </summary>
public readonly record struct RequestEndpoint(string? Account, string Operation)
{
    /// <summary>The endpoint of a GET of <paramref name="pathAndQuery"/>, or of a path template (<c>{customer}</c>).</summary>
    public static RequestEndpoint Of(string? account, string pathAndQuery) => new(account, OperationOf(pathAndQuery));

    /// <summary>
    /// The request's operation: each path segment that holds an id or a template's placeholder becomes <c>*</c>.
    /// Stripe's ids carry digits or capitals; its resource names are lowercase words joined by underscores.
    /// </summary>
    public static string OperationOf(string pathAndQuery)
    {
        var path = pathAndQuery.AsSpan();
        if (path.IndexOf('?') is var query and >= 0)
        {
            path = path[..query];
        }
        Span<char> operation = stackalloc char[Math.Min(path.Length, 256) + 4];
        "GET ".CopyTo(operation);
        var length = 4;
        foreach (var range in path.Split('/'))
        {
            var segment = path[range];
            var name = segment.IsEmpty || IsVersion(segment) || !segment.ContainsAnyExcept(ResourceNameChars) ? segment : "*";
            if (length > 4 || !segment.IsEmpty)
            {
                if (length + name.Length + 1 > operation.Length)
                {
                    return "GET " + pathAndQuery;
                }
                operation[length++] = '/';
                name.CopyTo(operation[length..]);
                length += name.Length;
            }
        }
        return new string(operation[..length]);
    }

    /// <summary>Whether the request goes to Stripe's Files API, which allows 20 reads a second rather than 25.</summary>
    public bool IsFiles => Operation.StartsWith("GET /v1/files", StringComparison.Ordinal)
        && (Operation.Length == "GET /v1/files".Length || Operation["GET /v1/files".Length] == '/');

    public override string ToString() => Account is null ? Operation : $"{Operation} for {Account}";

    private static bool IsVersion(ReadOnlySpan<char> segment) => segment is ['v', _, ..] && !segment[1..].ContainsAnyExceptInRange('0', '9');

    private static readonly SearchValues<char> ResourceNameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyz_");
}
