namespace SourceStripe.Capture.Events;

/// <summary>
/// Whether Stripe's webhooks are arriving, which sets how often events are polled. While they arrive, polls are
/// only the safety net and run every <c>advanced.events_interval_with_webhooks</c>; once none has arrived for that
/// long (the destination was deleted or disabled, or cannot reach the capture) they have stopped, and each account's
/// next events read is at its bindings' own interval again. Any verified delivery counts, ignored ones included: it
/// shows the destination reaches this shard.
/// </summary>
public sealed class WebhookActivity(TimeProvider clock, TimeSpan intervalWhileArriving)
{
    private long _lastDelivery = long.MinValue;

    /// <summary>A verified delivery arrived now.</summary>
    public void Delivered() => Interlocked.Exchange(ref _lastDelivery, clock.GetUtcNow().UtcTicks);

    /// <summary>Whether a delivery arrived within the last <c>events_interval_with_webhooks</c>.</summary>
    public bool Arriving
    {
        get
        {
            var last = Interlocked.Read(ref _lastDelivery);
            return last != long.MinValue && clock.GetUtcNow().UtcTicks - last < intervalWhileArriving.Ticks;
        }
    }

    /// <summary>The time to the next events read of an account whose bindings poll every <paramref name="normal"/>.</summary>
    public TimeSpan EventsInterval(TimeSpan normal) => Arriving && intervalWhileArriving > normal ? intervalWhileArriving : normal;
}
