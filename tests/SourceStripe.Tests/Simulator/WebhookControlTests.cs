using Microsoft.Extensions.Time.Testing;
using SourceStripe.Simulator;
using SourceStripe.Simulator.Webhooks;
using static SourceStripe.Tests.Simulator.WebhookDeliveryTests;

namespace SourceStripe.Tests.Simulator;

/// <summary>The test controls of the simulator's webhooks: pause, bounded queue, removing a destination, disposing.
/// Pausing makes "not delivered" observable without waiting: nothing can be attempted until the test resumes.</summary>
public sealed class WebhookControlTests
{
    [Fact]
    public async Task Paused_deliveries_wait_and_go_out_on_resume()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var stripe = await StripeSimulator.StartAsync(Options());
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });

        stripe.PauseWebhooks();
        for (var i = 0; i < 5; i++)
        {
            stripe.Create("customers");
        }
        Assert.Equal(5, stripe.PendingWebhooks);
        Assert.Empty(stripe.WebhookAttempts.Snapshot());
        stripe.ResumeWebhooks();
        await stripe.WebhookAttempts.WaitForDeliveredAsync(5, Patience);

        Assert.Equal(5, receiver.Received.Select(r => r.EventId).Distinct().Count());
    }

    [Fact]
    public async Task Disposing_cancels_a_delivery_in_flight_and_the_retries_to_come()
    {
        var time = new FakeTimeProvider(ConnectedHttp.Now);
        var never = new TaskCompletionSource<int>();
        await using var receiver = await WebhookReceiver.StartAsync(_ => never.Task);
        var stripe = await StripeSimulator.StartAsync(Options(new WebhookOptions { TimeProvider = time }));
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });
        stripe.Create("customers");
        await receiver.Arrivals.ReadAsync(Patience);

        // The receiver never answers and the fake clock never reaches the timeout: only cancellation ends this.
        await stripe.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.Empty(stripe.WebhookAttempts.Snapshot());
        never.SetResult(200);
    }

    [Fact]
    public async Task Deliveries_beyond_the_pending_bound_are_not_queued_but_logged_as_overflowed()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var stripe = await StripeSimulator.StartAsync(Options(new WebhookOptions { MaxPendingDeliveries = 3 }));
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/"), Secrets = [SecretA] });

        stripe.PauseWebhooks();
        for (var i = 0; i < 5; i++)
        {
            stripe.Create("customers");
        }
        Assert.Equal(3, stripe.PendingWebhooks);
        Assert.Equal(2, stripe.WebhookAttempts.Snapshot().Count(a => a.Outcome == WebhookOutcome.Overflowed));
        stripe.ResumeWebhooks();
        await stripe.WebhookAttempts.WaitForDeliveredAsync(3, Patience);

        Assert.Equal(3, receiver.Received.Count);
    }

    [Fact]
    public async Task A_removed_destination_gets_nothing_more_while_the_others_still_do()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var stripe = await StripeSimulator.StartAsync(Options());
        var removed = new WebhookDestination { Url = receiver.Url("/removed"), Secrets = [SecretA] };
        stripe.AddWebhookDestination(removed);
        stripe.AddWebhookDestination(new WebhookDestination { Url = receiver.Url("/kept"), Secrets = [SecretA] });

        stripe.PauseWebhooks();
        stripe.Create("customers");
        stripe.RemoveWebhookDestination(removed);
        stripe.Create("products");
        stripe.ResumeWebhooks();
        await stripe.WebhookAttempts.WaitForDeliveredAsync(2, Patience);

        Assert.All(receiver.Received, r => Assert.Equal("/kept", r.Path));
        Assert.Throws<ArgumentException>(() => stripe.RemoveWebhookDestination(removed));
    }
}
