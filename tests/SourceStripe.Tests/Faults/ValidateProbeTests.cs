using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using SourceStripe.Simulator;
using SourceStripe.Streams;
using SourceStripe.Tests.EndToEnd;
using static SourceStripe.Tests.Faults.FaultRequests;

namespace SourceStripe.Tests.Faults;

/// <summary>
/// validate's key check through the published binary when Stripe misbehaves: its calls share the capture's
/// limiter, retries and timeouts, so a passing fault does not fail it and a silent server ends in one problem.
/// </summary>
public sealed class ValidateProbeTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromMinutes(3);

    private static JsonObject Config(Uri baseUrl, JsonObject? advanced = null)
    {
        advanced ??= [];
        advanced["base_url"] = baseUrl.ToString();
        return Endpoint(baseUrl: baseUrl, edit: c => c["advanced"] = advanced);
    }

    [Fact]
    public async Task A_500_a_429_and_a_dropped_connection_on_the_checks_are_retried_and_validate_succeeds()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1 });
        stripe.InjectFault(Fault.ServerError(500) with { PathPrefix = "/v1/charges" });
        stripe.InjectFault(Fault.RateLimited() with { PathPrefix = "/v1/customers" });
        stripe.InjectFault(Fault.Drop() with { PathPrefix = "/v1/payouts" });

        var run = await PublishedConnector.RunAsync(Validate(Config(stripe.BaseUrl), Resource("charges"), Resource("customers"), Resource("payouts")), timeout: Guard);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.NotNull(run.SingleResponse()["validated"]);
        int[] Statuses(string path) => [.. stripe.Requests.Where(r => r.Path == path).Select(r => r.Status)];
        Assert.Equal([500, 200], Statuses("/v1/charges"));
        Assert.Equal([429, 200], Statuses("/v1/customers"));
        Assert.Equal([0, 200], Statuses("/v1/payouts"));
    }

    [Fact]
    public async Task A_server_that_never_answers_ends_in_one_problem_naming_the_url_and_the_streams()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1 });
        // Held far longer than the run may last: no answer ever comes.
        stripe.InjectFault(Fault.Slow(TimeSpan.FromHours(1), times: 10_000));
        var advanced = new JsonObject { ["request_timeout_seconds"] = 1, ["max_retry_seconds"] = 3 };

        var run = await PublishedConnector.RunAsync(Validate(Config(stripe.BaseUrl, advanced), Resource("charges"), Resource("customers")), timeout: Guard);

        Assert.Equal(1, run.ExitCode);
        Assert.Empty(run.StdoutBytes);
        var message = StreamChecks.AssertFinalError(run.Stderr);
        Assert.StartsWith($"Invalid configuration: config.advanced.base_url: Stripe at {stripe.BaseUrl} gave no usable answer for streams charges, customers: ", message);
        Assert.Contains("no answer within the request timeout", message);
    }

    [Fact]
    public async Task Waiting_on_the_limiter_does_not_spend_a_checks_timeout_or_retry_budget()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 1 });
        // One request a second: the last of the checks waits on the limiter far longer than a request may take.
        var advanced = new JsonObject { ["max_requests_per_second"] = 1, ["request_timeout_seconds"] = 5, ["max_retry_seconds"] = 5 };
        var every = StreamCatalog.All.Select(s => Resource(s.Name, s.DefaultSyncMode == SyncMode.FullRefresh ? "full_refresh" : "incremental")).ToArray();

        var run = await PublishedConnector.RunAsync(Validate(Config(stripe.BaseUrl, advanced), every), timeout: Guard);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.NotNull(run.SingleResponse()["validated"]);
        // Enough checks that, one a second, the last waited longer than the 5 s + 5 s allowed.
        Assert.True(stripe.Requests.Count > 12, $"only {stripe.Requests.Count} checks: the test proves nothing");
        Assert.All(stripe.Requests, r => Assert.Equal(200, r.Status));
    }

    [Fact]
    public async Task A_port_nothing_listens_on_is_reported_after_a_few_tries_not_retried_for_max_retry_seconds()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var closed = new Uri($"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}");
        listener.Stop();

        // The default max_retry_seconds (600) is far beyond the guard: only not retrying ends the run in time.
        var run = await PublishedConnector.RunAsync(Validate(Config(closed), Resource("charges")), timeout: Guard);

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"Invalid configuration: config.advanced.base_url: could not reach Stripe at {closed}", StreamChecks.AssertFinalError(run.Stderr));
    }
}
