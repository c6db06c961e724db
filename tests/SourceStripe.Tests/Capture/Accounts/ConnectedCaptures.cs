using System.Text.Json.Nodes;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Capture.Accounts;

/// <summary>What the tests of a platform with connected accounts share: the bindings, the open request and the truth.</summary>
public static class ConnectedCaptures
{
    public const string Platform = "acct_simulator";

    public static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddYears(-3);

    /// <summary>Top-level streams, a child whose first page is embedded in its parent, and a full refresh.</summary>
    public static readonly string[] Streams = ["customers", "charges", "invoices", "invoice_line_items", "products"];

    /// <summary>
    /// Incremental streams polled every second; the full refreshes (invoice_line_items' default mode, and products) an
    /// hour apart: at Stripe's pace a pass of every account's invoices takes about a second, and passes back to back
    /// would leave every account with a range pending at every checkpoint, never caught up.
    /// </summary>
    public static IEnumerable<OpenRequests.Binding> Bindings =>
        Streams.Select(s => s is "products" or "invoice_line_items" ? new OpenRequests.Binding(s, "full_refresh", "PT1H") : new OpenRequests.Binding(s, Interval: "PT1S"));

    public static SimulatorOptions Options(int connected, int seed = 7, int objects = 12) => new()
    {
        Seed = seed,
        ObjectsPerStream = objects,
        ConnectedAccounts = [.. Enumerable.Range(0, connected).Select(_ => new ConnectedAccountOptions { ObjectsPerStream = objects })],
    };

    public static string Open(StripeSimulator stripe, JsonNode? state = null, (uint, uint)? range = null, bool connected = true) =>
        OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", Start, Bindings, state, connected: connected, range: range,
            advanced: new JsonObject { ["event_lag_seconds"] = 0 });

    public static IReadOnlyList<string> AllAccounts(StripeSimulator stripe) => [Platform, .. stripe.ConnectedAccountIds];

    /// <summary>The documents of each stream for <paramref name="accountId"/>, each naming the account.</summary>
    public static Dictionary<string, JsonObject> Expected(StripeSimulator stripe, string accountId, string stream)
    {
        var expected = ExpectedDocuments.For(stripe.AccountFor(accountId), stream);
        foreach (var document in expected.Values)
        {
            document["account_id"] = accountId;
        }
        return expected;
    }

    /// <summary>
    /// Asserts that <paramref name="captured"/> hold exactly each account's objects of each stream as they are
    /// now, and no other account's (the <c>_meta</c> of a document made from an event left aside).
    /// </summary>
    public static void AssertAccounts(StripeSimulator stripe, IEnumerable<string> accounts, IReadOnlyList<(int Binding, JsonObject Document)> captured)
    {
        var ids = accounts.ToList();
        var documents = captured.Select(d =>
        {
            var copy = d.Document.DeepClone().AsObject();
            copy.Remove("_meta");
            return (d.Binding, Document: copy);
        }).ToList();
        Assert.All(documents, d => Assert.Contains(d.Document["account_id"]!.GetValue<string>(), ids));
        foreach (var account in ids)
        {
            var own = documents.Where(d => d.Document["account_id"]!.GetValue<string>() == account).ToList();
            for (var i = 0; i < Streams.Length; i++)
            {
                var expected = Expected(stripe, account, Streams[i]);
                Assert.NotEmpty(expected);
                ExpectedDocuments.AssertSame(expected, ExpectedDocuments.Captured(own, i), $"{Streams[i]} of {account}");
            }
        }
    }

    public static Func<CaptureTranscript, bool> CaughtUp(IEnumerable<string> accounts)
    {
        var ids = accounts.ToList();
        return t => t.CaughtUp(Streams, ids);
    }
}
