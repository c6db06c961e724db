namespace SourceStripe.Simulator.Webhooks;

/// <summary>How the simulator delivers webhooks (<see cref="SimulatorOptions.Webhooks"/>): Stripe's behaviour by default,
/// with the controls tests need to make it misbehave deterministically.</summary>
public sealed record WebhookOptions
{
    /// <summary>Destinations registered at start; <see cref="StripeSimulator.AddWebhookDestination"/> adds more.</summary>
    public IReadOnlyList<WebhookDestination> Destinations { get; init; } = [];

    /// <summary>When failed deliveries are tried again. Default: <see cref="WebhookRetry.Live"/>.</summary>
    public WebhookRetry Retry { get; init; } = WebhookRetry.Live;

    /// <summary>How long a delivery waits for an answer before it counts as failed. Stripe does not document its
    /// timeout; 20 s is what integrators report.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The share of (event, destination) pairs whose delivery is dropped: never sent, never retried, chosen
    /// from the seed and the event id, so a run is reproducible.</summary>
    public double DropFraction { get; init; }

    /// <summary>The share of (event, destination) pairs delivered twice (two independent deliveries), as Stripe
    /// sometimes does; chosen like <see cref="DropFraction"/>.</summary>
    public double DuplicateFraction { get; init; }

    /// <summary>Deliveries in flight at once, across all destinations.</summary>
    public int MaxConcurrentDeliveries { get; init; } = 8;

    /// <summary>Deliveries waiting (queued or for a retry) at most: beyond, a new delivery is not queued and its attempt
    /// is logged as <see cref="WebhookOutcome.Overflowed"/>. Bounds memory whatever the receiver does.</summary>
    public int MaxPendingDeliveries { get; init; } = 100_000;

    /// <summary>The time retries and timeouts wait on (not <see cref="SimulatorOptions.Clock"/>, which signs
    /// deliveries): a test may pass a fake one to step through Stripe's three-day schedule.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Retry);
        Retry.Validate();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Timeout, TimeSpan.Zero, nameof(Timeout));
        ArgumentOutOfRangeException.ThrowIfNegative(DropFraction, nameof(DropFraction));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DropFraction, 1, nameof(DropFraction));
        ArgumentOutOfRangeException.ThrowIfNegative(DuplicateFraction, nameof(DuplicateFraction));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(DuplicateFraction, 1, nameof(DuplicateFraction));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentDeliveries, 1, nameof(MaxConcurrentDeliveries));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxPendingDeliveries, 1, nameof(MaxPendingDeliveries));
        ArgumentNullException.ThrowIfNull(TimeProvider);
        foreach (var destination in Destinations)
        {
            destination.Validate();
        }
    }
}
