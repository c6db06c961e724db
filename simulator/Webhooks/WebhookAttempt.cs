namespace SourceStripe.Simulator.Webhooks;

public enum WebhookOutcome
{
    /// <summary>Answered 2xx: delivered, no more attempts.</summary>
    Delivered,

    /// <summary>Answered another status (3xx included: Stripe follows no redirect): retried.</summary>
    Rejected,

    /// <summary>No answer within <see cref="WebhookOptions.Timeout"/>: retried.</summary>
    TimedOut,

    /// <summary>No connection, or it broke before the answer: retried.</summary>
    Unreachable,

    /// <summary>Dropped by <see cref="WebhookOptions.DropFraction"/>: never sent.</summary>
    Dropped,

    /// <summary>Not queued: <see cref="WebhookOptions.MaxPendingDeliveries"/> were already waiting.</summary>
    Overflowed,
}

/// <summary>One delivery attempt of an event to a destination, as the attempt log records it.</summary>
/// <param name="EventId">The event's <c>evt_</c> id.</param>
/// <param name="EventType">The event's <c>type</c>.</param>
/// <param name="Account">The event's <c>account</c>: the connected account it comes from, null for the platform's own.</param>
/// <param name="Destination">The destination's URL.</param>
/// <param name="Attempt">1 for the first, 2 for the first retry…; a duplicate delivery counts from 1 again.</param>
/// <param name="Outcome">How the attempt ended.</param>
/// <param name="StatusCode">The answer's status, when there was one.</param>
/// <param name="Failure">Why an attempt without an answer failed (timeout, connection refused…).</param>
/// <param name="At">When the attempt ended (<see cref="WebhookOptions.TimeProvider"/>).</param>
/// <param name="Duplicate">The second of two deliveries <see cref="WebhookOptions.DuplicateFraction"/> made.</param>
/// <param name="RetryIn">After a failed attempt, the wait before the next one; null when there is none (delivered,
/// dropped, or given up by <see cref="WebhookOptions.Retry"/>).</param>
public sealed record WebhookAttempt(
    string EventId,
    string EventType,
    string? Account,
    Uri Destination,
    int Attempt,
    WebhookOutcome Outcome,
    int? StatusCode,
    string? Failure,
    DateTimeOffset At,
    bool Duplicate,
    TimeSpan? RetryIn)
{
    public bool Delivered => Outcome == WebhookOutcome.Delivered;
}
