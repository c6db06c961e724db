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
        // The simulator's own parent links: an oracle taken from the connector's catalog would agree with any mistake in it.
        var resource = Resources.Get(stream);
        var result = new Dictionary<string, JsonObject>();
        if (resource.Parent is { } parent)
        {
            var idField = ParentIdField(resource);
            foreach (var owner in account.Objects(parent).Where(p => p.Created >= from))
            {
                foreach (var child in account.Children(stream, owner.Id))
                {
                    var document = child.ToJsonObject();
                    document[idField] = owner.Id;
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

    /// <summary>
    /// The field a child's documents name their parent in, as the README promises: Stripe's own name for the parent's
    /// id where the list takes it as a query parameter (<c>value_list</c>), else the parent resource's singular
    /// (<c>customers</c>), with <c>_id</c>. It is checked against the connector's catalog so that a different name
    /// there fails here by name instead of as every document of the stream differing.
    /// </summary>
    private static string ParentIdField(Resource child)
    {
        var field = (child.ParentParam ?? child.Parent![..^1]) + "_id";
        var added = StreamCatalog.Find(child.Name)?.Parent?.IdField;
        Assert.True(field == added, $"{child.Name}: the connector adds {added ?? "no parent id"} to its documents, not {field}");
        return field;
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
