using System.Text.Json.Nodes;

namespace SourceStripe.Simulator;

/// <summary>
/// Changes to one account (<see cref="StripeSimulator.On"/>): the platform's, or a connected account's, whose events
/// go to its own <c>/v1/events</c> with the top-level <c>account</c> Stripe gives them. Same meaning as
/// <see cref="StripeSimulator.Create"/>, <see cref="StripeSimulator.Update"/>, <see cref="StripeSimulator.Delete"/>
/// and <see cref="StripeSimulator.EmitEvent"/>.
/// </summary>
public sealed class AccountMutations
{
    private readonly Mutations _mutations;

    internal AccountMutations(string accountId, Mutations mutations)
    {
        AccountId = accountId;
        _mutations = mutations;
    }

    public string AccountId { get; }

    public JsonObject Create(string stream, Action<JsonObject>? edit = null, string? parentId = null) =>
        _mutations.Create(stream, edit, parentId);

    public JsonObject Update(string stream, string id, Action<JsonObject> edit) => _mutations.Update(stream, id, edit);

    public void Delete(string stream, string id) => _mutations.Delete(stream, id);

    public JsonObject EmitEvent(string type, JsonObject dataObject, string? apiVersion = null, JsonObject? previousAttributes = null,
        TimeSpan? visibleAfter = null, DateTimeOffset? created = null) =>
        _mutations.EmitEvent(type, dataObject, apiVersion, previousAttributes, visibleAfter, created);
}
