using System.Diagnostics;
using System.Text.Json;
using SourceStripe.Buffers;
using SourceStripe.Config;
using SourceStripe.Simulator;
using SourceStripe.Stripe;
using SourceStripe.Tests.Capture.Core;

namespace SourceStripe.Tests.Stripe;

/// <summary>A page whose body waits for room in the capture's buffers: Stripe has answered, so the wait is nobody's timeout.</summary>
public sealed class WaitForRoomTests
{
    /// <summary>A capture's config against <paramref name="stripe"/>, with <paramref name="advanced"/> settings after its base URL.</summary>
    public static EndpointConfig ConfigFor(StripeSimulator stripe, string advanced = "") => EndpointConfig.Parse(JsonDocument.Parse($$$"""
        {"account_id":"acct_simulator","client_secret":"sk_live_simulator","start_date":"2020-01-01T00:00:00Z",
         "advanced":{"base_url":"{{{stripe.BaseUrl}}}"{{{advanced}}}}}
        """).RootElement, new ConfigProblems(), DateTimeOffset.UtcNow)!;

    [Fact]
    public async Task A_body_waiting_for_room_outlasts_the_request_timeout_and_is_read_once_room_is_freed_without_asking_again()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 10 });
        var config = ConfigFor(stripe, ""","request_timeout_seconds":1,"max_retry_seconds":2""");
        using var client = new StripeClient(config);
        var memory = new MemoryBudget();
        client.ReadInto(memory);
        // The capture's memory is full: the writer has not taken its lines yet.
        var lines = memory.Rent((int)memory.Limit);
        stripe.ClearRequests();

        var asked = Stopwatch.GetTimestamp();
        var page = client.ListAsync("/v1/customers?limit=100", "created", null, CancellationToken.None, waitForRoom: true);
        // Past the rate limiter, whose wait stops both clocks too: Stripe has the request.
        await WorkSchedulerTests.Until(() => stripe.Requests.Any(r => r.Path == "/v1/customers"));
        // RequestBudget times the attempt (1 s) and the request (2 s) with Stopwatch and CancelAfter, not with the
        // client's TimeProvider, so only real time can show that their clocks stood still. Both started after `asked`;
        // the half second more is for a timer that was not stopped to fire. Once it has, the read below fails or asks again.
        await WorkSchedulerTests.Until(() => Stopwatch.GetElapsedTime(asked) > TimeSpan.FromSeconds(2.5));
        Assert.False(page.IsCompleted);
        Assert.Single(stripe.Requests, r => r.Path == "/v1/customers");

        memory.Return(lines);
        using var read = await page.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(10, read.Items.Count);
        // The room admitted for its lines stays with the page until they are made.
        Assert.Equal(read.LinesRoom!.Left, memory.Admitted);
        Assert.Single(stripe.Requests, r => r.Path == "/v1/customers");
    }

    [Fact]
    public async Task A_caller_that_holds_buffers_reads_at_once_even_when_they_fill_the_pool()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 10 });
        var config = ConfigFor(stripe);
        using var client = new StripeClient(config);
        var memory = new MemoryBudget();
        client.ReadInto(memory);
        var parentPage = memory.Rent((int)memory.Limit);

        using var children = await client.ListAsync("/v1/customers?limit=100", "created", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(10, children.Items.Count);
        memory.Return(parentPage);
    }
}
