using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator;

/// <summary>The platform's side of Stripe Connect: the Account objects <c>/v1/accounts</c> lists for its connected
/// accounts, and the <c>account.application.*</c> events their connecting and disconnecting emit.</summary>
internal sealed partial class Mutations
{
    /// <summary>
    /// Lists a connected account on the platform as of <paramref name="connectedAt"/>: its Account object (its id,
    /// <c>created</c> = the connect time) with persons and external accounts, rendered the first time
    /// (<paramref name="listed"/> null) and kept, children included, while it is disconnected. Returns the Account JSON.
    /// </summary>
    public byte[] ListAccount(string accountId, long connectedAt, byte[]? listed, int index, long listingSequence)
    {
        lock (account.Gate)
        {
            var accounts = account.Table("accounts");
            if (listed is not null)
            {
                var node = JsonNode.Parse(listed)!.AsObject();
                node["created"] = connectedAt;
                var relisted = new SimulatedObject("accounts", accountId, connectedAt, null, null, JsonOutput.ToUtf8(node));
                accounts.Add(relisted);
                return relisted.Json;
            }
            var created = RenderAccount(accountId, connectedAt, index);
            accounts.Add(created);
            foreach (var child in RenderAccountChildren(accountId, connectedAt, index, listingSequence))
            {
                account.Table(child.Stream).Add(child);
            }
            return created.Json;
        }
    }

    /// <summary>A connected account's Account object as the platform lists it, from the seed and its index alone.</summary>
    public SimulatedObject RenderAccount(string accountId, long connectedAt, int index)
    {
        lock (account.Gate)
        {
            return Render(new ObjectContext("accounts", accountId, connectedAt, Rng.For(account.Seed, "connected", "accounts", index)), null);
        }
    }

    /// <summary>
    /// A connected account's persons and external accounts, as the generator gives each account: one to three persons,
    /// one or two bank accounts, maybe a card. Their ids encode sequences from <paramref name="listingSequence"/>
    /// (a range of the account's own), so rendering them again gives the same ids.
    /// </summary>
    public List<SimulatedObject> RenderAccountChildren(string accountId, long connectedAt, int index, long listingSequence)
    {
        lock (account.Gate)
        {
            var rng = Rng.For(account.Seed, "connected", "account children", index);
            var counts = new[] { ("persons", rng.Next(1, 3)), ("external_account_bank_accounts", rng.Next(1, 2)), ("external_account_cards", rng.Next(0, 1)) };
            var children = new List<SimulatedObject>(6);
            for (var s = 0; s < counts.Length; s++)
            {
                var (stream, count) = counts[s];
                for (var k = 0; k < count; k++)
                {
                    var childRng = Rng.For(account.Seed, "connected", stream, index * 8L + k);
                    var id = StripeIds.New(Descriptor(stream).IdPrefix, listingSequence + s * 4 + k, ref childRng);
                    var ctx = new ObjectContext(stream, id, connectedAt, childRng);
                    ctx.Set(Descriptor(stream).ParentField!, accountId);
                    children.Add(Render(ctx, accountId));
                }
            }
            return children;
        }
    }

    /// <summary>Takes a disconnected account off <c>/v1/accounts</c>; its id stays a valid cursor, as a deleted object's does.</summary>
    public void UnlistAccount(string accountId)
    {
        lock (account.Gate)
        {
            if (account.Table("accounts").Find(accountId) is { } listed)
            {
                account.Table("accounts").Delete(listed);
            }
        }
    }

    /// <summary>Removes the generated accounts (and their children) of a platform that starts connecting real ones:
    /// from then on <c>/v1/accounts</c> lists only accounts the requests can reach.</summary>
    public void RemoveGeneratedAccounts()
    {
        lock (account.Gate)
        {
            foreach (var generated in account.Table("accounts").Store().Items.ToList())
            {
                account.Table("accounts").Delete(generated);
                foreach (var child in Resources.ChildrenOf("accounts"))
                {
                    foreach (var orphan in account.Table(child.Name).Store(generated.Id).Items.ToList())
                    {
                        account.Table(child.Name).Delete(orphan);
                    }
                }
            }
        }
    }

    /// <summary>An <c>account.application.*</c> event as Stripe sends it to the platform: <c>data.object</c> the
    /// platform's application, the top-level <c>account</c> the connected account.</summary>
    public void ApplicationEvent(string type, byte[] application, string connectedAccountId, long created)
    {
        lock (account.Gate)
        {
            Append(type, application, default, options.ApiVersion, created, null, connectedAccountId);
        }
    }

    /// <summary>Writes a new object with a chosen id (no edit, no event), without storing it.</summary>
    private SimulatedObject Render(ObjectContext ctx, string? parentId)
    {
        var sample = Samples.For(ctx.Stream);
        StreamProfiles.Apply(ctx, sample, this, parentId);
        var buffer = new ArrayBufferWriter<byte>(16 * 1024);
        using (var w = new Utf8JsonWriter(buffer, JsonOutput.WriterOptions))
        {
            SampleWriter.Write(sample, ctx, w);
        }
        return new SimulatedObject(ctx.Stream, ctx.Id, ctx.Created, parentId, ctx.Text("status"), buffer.WrittenSpan.ToArray());
    }
}
