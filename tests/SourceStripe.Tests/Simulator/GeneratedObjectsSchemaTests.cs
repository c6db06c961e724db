using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;
using SourceStripe.Simulator;
using SourceStripe.Streams;
using SourceStripe.Tests.Capture;

namespace SourceStripe.Tests.Simulator;

/// <summary>
/// The simulator shapes its objects from Stripe's documented objects and never reads the connector's schemas, so
/// every object it generates or creates validating against the stream's discovered schema is a real check of them.
/// </summary>
public sealed class GeneratedObjectsSchemaTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string> StreamNames() => [.. StreamCatalog.All.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(StreamNames))]
    public async Task Every_object_the_simulator_generates_or_creates_validates_against_the_streams_schema(string stream)
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { Seed = 5, ObjectsPerStream = 30, Clock = () => Now });
        var descriptor = StreamCatalog.Find(stream)!;
        if (descriptor.Parent is null && stream != "events")
        {
            stripe.Create(stream);
        }
        var documents = ExpectedDocuments.For(stripe, stream);
        Assert.NotEmpty(documents);
        var schema = JsonSchema.FromText(System.Text.Encoding.UTF8.GetString(descriptor.DocumentSchema));
        var failures = new List<string>();
        foreach (var (id, document) in documents)
        {
            using var instance = JsonDocument.Parse(document.ToJsonString());
            var result = schema.Evaluate(instance.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
            if (!result.IsValid)
            {
                failures.AddRange((result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
                    .Select(d => $"{d.InstanceLocation}: {string.Join("; ", d.Errors!.Select(e => e.Value))} ({id})"));
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} schema errors, e.g.:\n{string.Join("\n", failures.Distinct().Take(15))}");
    }

    /// <summary>What Connect adds: the platform's Account objects for its connected accounts (with their persons and external
    /// accounts), its <c>account.application.*</c> events, and a connected account's objects and events.</summary>
    [Theory]
    [InlineData("accounts")]
    [InlineData("persons")]
    [InlineData("external_account_bank_accounts")]
    [InlineData("events")]
    [InlineData("charges")]
    public async Task Connected_accounts_and_their_events_validate_against_the_streams_schema(string stream)
    {
        var options = new SimulatorOptions { Seed = 5, ObjectsPerStream = 10, Clock = () => Now, ConnectedAccounts = [new ConnectedAccountOptions()] };
        await using var stripe = await StripeSimulator.StartAsync(options);
        var connected = stripe.ConnectAccount(new ConnectedAccountOptions { ObjectsPerStream = 10 });
        stripe.DisconnectAccount(stripe.ConnectedAccountIds[0]);
        var schema = JsonSchema.FromText(System.Text.Encoding.UTF8.GetString(StreamCatalog.Find(stream)!.DocumentSchema));
        var documents = ExpectedDocuments.For(stripe.Account, stream).Concat(ExpectedDocuments.For(stripe.AccountFor(connected), stream)).ToList();
        Assert.NotEmpty(documents);
        Assert.All(documents, d =>
        {
            using var instance = JsonDocument.Parse(d.Value.ToJsonString());
            Assert.True(schema.Evaluate(instance.RootElement).IsValid, d.Key);
        });
    }

    [Fact]
    public void The_samples_are_written_in_the_api_version_the_connector_pins()
    {
        Assert.Equal(StripeApiVersion.Pinned, SimulatorOptions.DefaultApiVersion);
    }

    [Fact]
    public void Generated_objects_are_as_large_as_stripes_and_embed_full_first_pages()
    {
        var account = new SimulatedStripeApi(new SimulatorOptions { Seed = 5, ObjectsPerStream = 30, Clock = () => Now }).Account;
        var charge = account.Objects("charges")[0].ToJsonObject();
        Assert.InRange(account.Objects("charges")[0].Utf8.Length, 1500, 8000);
        Assert.NotNull(charge["payment_method_details"]?["card"]);
        Assert.Contains(account.Objects("invoices"), i => i.ToJsonObject()["lines"]!["has_more"]!.GetValue<bool>());
        Assert.Contains(account.Objects("subscriptions"), s => s.ToJsonObject()["items"]!["has_more"]!.GetValue<bool>());
        Assert.Contains(account.Objects("subscriptions"), s => s.Status == "canceled");
        var customers = account.Objects("customers").Select(c => c.Id).ToHashSet();
        Assert.All(account.Objects("charges"), c => Assert.True(c.ToJsonObject()["customer"] is not JsonValue v
            || customers.Contains(v.GetValue<string>()), $"{c.Id} names a customer the account does not hold"));
        Assert.True(account.Objects("charges").Select(c => c.ToJsonObject()["amount"]!.GetValue<long>()).Distinct().Count() > 10);
        // Values whose wire type a schema can get wrong: a decimal string and a decimal number.
        Assert.Contains(account.Objects("checkout_sessions"), s => s.ToJsonObject()["currency_conversion"]?["fx_rate"] is JsonValue);
        Assert.Contains(account.Objects("balance_transactions"), b => b.ToJsonObject()["exchange_rate"] is JsonValue);
    }
}
