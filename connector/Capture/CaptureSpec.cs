using SourceStripe.Capture.Accounts;
using SourceStripe.Config;
using SourceStripe.State;

namespace SourceStripe.Capture;

/// <summary>
/// What one capture runs, read and checked as a whole before anything is sent to Stripe: Flow's <c>open</c>
/// and the terminal's capture command both come down to it.
/// </summary>
/// <param name="Config">The endpoint configuration.</param>
/// <param name="Bindings">The bound streams in the request's order, each with its state key.</param>
/// <param name="Range">The accounts this shard owns.</param>
/// <param name="State">The state to resume from; the session takes it over and advances it.</param>
public sealed record CaptureSpec(EndpointConfig Config, IReadOnlyList<BoundStream> Bindings, KeyRange Range, CaptureState State)
{
    /// <summary>
    /// Run once instead of forever: each binding reads what its state has pending plus one more range
    /// (its backfill, or a poll up to now), then Stripe's events are applied once, and the capture ends.
    /// The terminal command's mode; Flow's captures run until stdin closes.
    /// </summary>
    public bool StopWhenCaughtUp { get; init; }

    /// <summary>
    /// Whether Stripe's webhooks are received (a signing secret is configured, and the capture runs until stopped):
    /// the capture then opens with explicit acknowledgements, as a delivery is answered only once its documents are
    /// committed.
    /// </summary>
    public bool TakesWebhooks => Config.WebhookSecrets.Count > 0 && !StopWhenCaughtUp;
}
