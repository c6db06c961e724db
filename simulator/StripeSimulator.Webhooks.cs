using SourceStripe.Simulator.Webhooks;

namespace SourceStripe.Simulator;

/// <summary>Webhooks: the events created from now on, POSTed to event destinations as Stripe delivers them.</summary>
public sealed partial class StripeSimulator
{
    /// <summary>
    /// Registers a destination: every event created from now on that it wants (its <see cref="WebhookDestination.EnabledEvents"/>;
    /// the platform's own events, or with <see cref="WebhookDestination.Connect"/> the connected accounts') is POSTed to it,
    /// signed, and retried as <see cref="SimulatorOptions.Webhooks"/> says. Refuses a URL not on 127.0.0.1, localhost or [::1].
    /// </summary>
    public void AddWebhookDestination(WebhookDestination destination) => _api.Webhooks.Add(destination);

    /// <summary>Deletes the destination: nothing more is sent to it, pending retries included.</summary>
    public void RemoveWebhookDestination(WebhookDestination destination) => _api.Webhooks.Remove(destination);

    /// <summary>Every delivery attempt so far, and waiters for those to come.</summary>
    public WebhookAttemptLog WebhookAttempts => _api.Webhooks.Log;

    /// <summary>Deliveries queued, in flight or waiting for a retry.</summary>
    public int PendingWebhooks => _api.Webhooks.Pending;

    /// <summary>Holds deliveries (first attempts and retries) until <see cref="ResumeWebhooks"/>; events keep queueing.</summary>
    public void PauseWebhooks() => _api.Webhooks.Pause();

    public void ResumeWebhooks() => _api.Webhooks.Resume();
}
