using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Streams;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>validate checks the key against Stripe (the simulator on loopback) through the published binary.</summary>
public sealed class ValidateEndToEndTests
{
    private static string Request(Uri baseUrl, string secret, params string[] streams)
    {
        var bindings = new JsonArray();
        foreach (var stream in streams)
        {
            var mode = StreamCatalog.Find(stream)?.DefaultSyncMode == SyncMode.FullRefresh ? "full_refresh" : "incremental";
            bindings.Add(new JsonObject
            {
                ["resourceConfig"] = new JsonObject { ["stream"] = stream, ["syncMode"] = mode },
                ["collection"] = new JsonObject { ["name"] = "acmeCo/" + stream },
                ["backfill"] = 0,
            });
        }
        return new JsonObject
        {
            ["validate"] = new JsonObject
            {
                ["name"] = "acmeCo/source-stripe",
                ["connectorType"] = "IMAGE",
                ["config"] = new JsonObject
                {
                    ["account_id"] = "acct_simulator",
                    ["client_secret"] = secret,
                    ["start_date"] = "2020-01-01T00:00:00Z",
                    ["advanced"] = new JsonObject { ["base_url"] = baseUrl.ToString() },
                },
                ["bindings"] = bindings,
            },
        }.ToJsonString();
    }

    /// <summary>validate against a simulator set up with <paramref name="options"/>: refused, with the message it ends with.</summary>
    private static async Task<string> RefusedAsync(SimulatorOptions options, params string[] streams)
    {
        await using var stripe = await StripeSimulator.StartAsync(options);
        var run = await PublishedConnector.RunAsync(Request(stripe.BaseUrl, "sk_live_simulator", streams));
        Assert.Equal(1, run.ExitCode);
        return run.LastLog["msg"]!.GetValue<string>();
    }

    [Fact]
    public async Task A_good_key_validates_and_answers_resource_paths_in_request_order()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 2 });
        var run = await PublishedConnector.RunAsync(Request(stripe.BaseUrl, "sk_live_simulator", "subscriptions", "charges", "invoice_line_items"));
        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Equal(
            """{"validated":{"bindings":[{"resourcePath":["subscriptions"]},{"resourcePath":["charges"]},{"resourcePath":["invoice_line_items"]}]}}""",
            run.StdoutLines.Single());

        var requests = stripe.Requests;
        Assert.NotEmpty(requests);
        Assert.All(requests, r =>
        {
            Assert.Equal("Bearer sk_live_simulator", r.Headers["Authorization"]);
            Assert.Equal(StripeApiVersion.Pinned, r.Headers["Stripe-Version"]);
            Assert.Equal("acct_simulator", r.Headers["Stripe-Account"]);
            Assert.Equal(200, r.Status);
            Assert.Contains("limit=1", r.QueryString);
        });
        // A child stream is checked through its parent's list, then its own endpoint under the first parent
        // listed; each endpoint once; and events, which the incremental bindings read for changes.
        var paths = requests.Select(r => r.Path).Order().ToList();
        Assert.Equal(5, paths.Count);
        Assert.Equal(["/v1/charges", "/v1/events", "/v1/invoices"], paths.Take(3));
        Assert.Matches("^/v1/invoices/in_[A-Za-z0-9]+/lines$", paths[3]);
        Assert.Equal("/v1/subscriptions", paths[4]);
    }

    [Fact]
    public async Task A_wrong_key_fails_with_one_sentence_that_never_echoes_it()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1 });
        const string secret = "sk_live_WRONGKEYnotechoed42";
        var run = await PublishedConnector.RunAsync(Request(stripe.BaseUrl, secret, "charges", "customers"));
        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.StdoutBytes);
        Assert.Contains("Stripe rejected the secret key (401)", run.LastLog["msg"]!.GetValue<string>());
        Assert.DoesNotContain("WRONGKEY", run.Stderr);
    }

    [Fact]
    public async Task A_restricted_key_names_each_stream_it_cannot_read()
    {
        var message = await RefusedAsync(new SimulatorOptions { ObjectsPerStream = 1, ForbiddenStreams = new HashSet<string> { "payouts", "invoices" } },
            "charges", "payouts", "invoice_line_items");
        Assert.Contains("stream payouts: the key lacks read access to payouts", message);
        Assert.Contains("stream invoice_line_items: the key lacks read access to invoices (needed to list invoice_line_items)", message);
        Assert.DoesNotContain("stream charges", message);
    }

    [Fact]
    public async Task Streams_the_account_cannot_have_are_named_with_what_they_need_and_stripes_answer()
    {
        var message = await RefusedAsync(
            new SimulatorOptions { ObjectsPerStream = 1, MissingFeatures = new HashSet<AccountFeature> { AccountFeature.Connect, AccountFeature.Issuing } },
            "charges", "accounts", "persons", "issuing_cards");
        Assert.Contains("stream accounts: needs a Connect platform account, which Stripe says this account does not have (Stripe answered 403 for GET /v1/accounts: Only Stripe Connect platforms", message);
        Assert.Contains("stream persons: needs a Connect platform account", message);
        Assert.Contains("stream issuing_cards: needs Stripe Issuing enabled on the account, which Stripe says this account does not have (Stripe answered 400 for GET /v1/issuing/cards: Your account is not set up to use Issuing", message);
        Assert.DoesNotContain("stream charges", message);
    }

    [Fact]
    public async Task A_restricted_key_that_reads_a_parent_but_not_its_child_is_refused_for_the_child_with_the_permission_stripe_names()
    {
        var message = await RefusedAsync(new SimulatorOptions { ObjectsPerStream = 2, ForbiddenStreams = new HashSet<string> { "payment_methods" } },
            "customers", "payment_methods", "customer_tax_ids");
        Assert.Contains("stream payment_methods: the key lacks read access to payment_methods (Stripe answered 403 for GET /v1/customers/", message);
        Assert.Contains("grant the restricted key the 'rak_payment_method_read' permission (Read)", message);
        Assert.DoesNotContain("stream customer_tax_ids", message);
        Assert.DoesNotContain("stream customers", message);
    }

    [Fact]
    public async Task A_key_that_cannot_read_events_is_refused_for_incremental_bindings_only()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1, ForbiddenStreams = new HashSet<string> { "events" } });
        var incremental = await PublishedConnector.RunAsync(Request(stripe.BaseUrl, "sk_live_simulator", "customers"));
        Assert.Equal(1, incremental.ExitCode);
        Assert.Contains("events: the key lacks read access to events", incremental.LastLog["msg"]!.GetValue<string>());

        // Full refresh and streams without events do not need it.
        var request = JsonNode.Parse(Request(stripe.BaseUrl, "sk_live_simulator", "customers", "balance_transactions"))!;
        request["validate"]!["bindings"]![0]!["resourceConfig"]!["syncMode"] = "full_refresh";
        var fullRefresh = await PublishedConnector.RunAsync(request.ToJsonString());
        Assert.True(fullRefresh.ExitCode == 0, fullRefresh.Stderr);
    }

    [Fact]
    public async Task Binding_problems_are_all_reported_with_their_paths()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1 });
        var request = JsonNode.Parse(Request(stripe.BaseUrl, "sk_live_simulator", "chargez", "events", "charges", "charges"))!;
        request["validate"]!["bindings"]![1]!["resourceConfig"]!["syncMode"] = "full_refresh";
        var run = await PublishedConnector.RunAsync(request.ToJsonString());
        Assert.Equal(1, run.ExitCode);
        var message = run.LastLog["msg"]!.GetValue<string>();
        Assert.Contains("bindings[0].resourceConfig.stream: unknown stream \"chargez\"", message);
        Assert.Contains("bindings[1].resourceConfig.syncMode: stream events does not support full_refresh", message);
        Assert.Contains("bindings[3].resourceConfig.stream: stream charges is already bound by bindings[2]", message);
        Assert.Empty(stripe.Requests);
    }
}
