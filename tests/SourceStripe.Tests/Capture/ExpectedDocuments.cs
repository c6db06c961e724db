using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Streams;

namespace SourceStripe.Tests.Capture;

/// <summary>What a capture of the simulator's account must yield, per stream: each object with the fields the connector adds.</summary>
public static class ExpectedDocuments
{
    /// <summary>Documents by id of <paramref name="stream"/> whose (parent's) creation time is at or after <paramref name="from"/>.</summary>
    public static Dictionary<string, JsonObject> For(StripeSimulator stripe, string stream, long from = long.MinValue) =>
        For(stripe.Account, stream, from);

    /// <summary>As above, for an account served by any host (the tests' simulator or the binary's loopback server).</summary>
    public static Dictionary<string, JsonObject> For(SimulatorAccount account, string stream, long from = long.MinValue)
    {
        var descriptor = StreamCatalog.Find(stream)!;
        var result = new Dictionary<string, JsonObject>();
        if (descriptor.Parent is { } parent)
        {
            foreach (var owner in account.Objects(parent.Stream).Where(p => p.Created >= from))
            {
                foreach (var child in account.Children(stream, owner.Id))
                {
                    var document = child.ToJsonObject();
                    document[parent.IdField] = owner.Id;
                    result[child.Id] = document;
                }
            }
        }
        else
        {
            foreach (var item in account.Objects(stream).Where(o => o.Created >= from))
            {
                result[item.Id] = item.ToJsonObject();
            }
        }
        return result;
    }

    /// <summary>Asserts that a capture binding every stream in catalog order (<see cref="OpenRequests.AllStreams"/>)
    /// yielded exactly the account's objects, none of the streams empty.</summary>
    public static void AssertEveryStream(SimulatorAccount account, IEnumerable<(int Binding, JsonObject Document)> documents)
    {
        for (var i = 0; i < StreamCatalog.All.Length; i++)
        {
            var stream = StreamCatalog.All[i].Name;
            var expected = For(account, stream);
            Assert.NotEmpty(expected);
            AssertSame(expected, Captured(documents, i), stream);
        }
    }

    /// <summary>The last document captured for each id of one binding.</summary>
    public static Dictionary<string, JsonObject> Captured(IEnumerable<(int Binding, JsonObject Document)> documents, int binding) =>
        documents.Where(d => d.Binding == binding)
            .GroupBy(d => d.Document["id"]!.GetValue<string>())
            .ToDictionary(g => g.Key, g => g.Last().Document);

    public static void AssertSame(Dictionary<string, JsonObject> expected, Dictionary<string, JsonObject> actual, string stream)
    {
        var missing = expected.Keys.Except(actual.Keys).ToList();
        // Stripe keeps events for 30 days: one captured while it was kept may have left the account since, and is no
        // longer in what the account holds now.
        var retained = DateTimeOffset.UtcNow.AddDays(-30).ToUnixTimeSeconds();
        var extra = actual.Keys.Except(expected.Keys)
            .Where(id => !(actual[id]["object"]?.GetValue<string>() == "event" && actual[id]["created"]?.GetValue<long>() < retained)).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{stream}: {missing.Count} missing ({string.Join(",", missing.Take(5))}), {extra.Count} unexpected ({string.Join(",", extra.Take(5))})");
        foreach (var (id, document) in expected)
        {
            Assert.True(JsonNode.DeepEquals(document, actual[id]), $"{stream} {id} differs:\nexpected {document.ToJsonString()}\nactual   {actual[id].ToJsonString()}");
        }
    }
}
