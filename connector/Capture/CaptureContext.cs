using SourceStripe.Capture.Events;
using SourceStripe.Capture.Output;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Config;
using SourceStripe.State;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>A binding of the open request, resolved against the catalog.</summary>
public sealed record BoundStream(int Index, string StateKey, StreamDescriptor Stream, SyncMode Mode, TimeSpan Interval, long Backfill)
{
    /// <summary>Incremental bindings take changes from events: their own, or their parent's for child streams.</summary>
    public bool ListensToEvents => Mode == SyncMode.Incremental && Stream.ChangesFromEvents;

    /// <summary>What the binding's column in the accounts' rows is for: this binding, under its backfill counter and mode.</summary>
    public StateColumn Column { get; } = new(StateKey, Backfill, Mode == SyncMode.FullRefresh);

    /// <summary>The binding's column in the accounts' rows (<see cref="CaptureState.Bindings"/>), set when the state is read.</summary>
    public int ColumnIndex { get; init; } = -1;

    /// <summary>
    /// The operation a page of the binding spends its requests on: its list, or for a child stream whose parents do
    /// not carry their first page of children, the child list it calls once for each parent.
    /// </summary>
    public string ReadOperation { get; } = RequestEndpoint.OperationOf(Stream.Parent is { Embedded: null } ? Stream.Path : Stream.Listed.Path);
}

/// <summary>What every unit of a capture shares: the config, the one client (and its limiter), the one writer and the scheduler.</summary>
public sealed record CaptureContext(EndpointConfig Config, StripeClient Client, CaptureWriter Writer, TimeProvider Clock, WorkScheduler Scheduler)
{
    /// <summary>Stripe keeps events this long.</summary>
    public static readonly TimeSpan EventRetention = TimeSpan.FromDays(30);

    /// <summary>See <see cref="CaptureSpec.StopWhenCaughtUp"/>.</summary>
    public bool StopWhenCaughtUp { get; init; }

    /// <summary>The accounts' rows' columns (<see cref="StateLayout"/>): what each value of a row is.</summary>
    public IReadOnlyList<StateColumn?> Columns { get; init; } = [];

    /// <summary>The changes applied, shared by webhook deliveries and events polls; null without webhooks.</summary>
    public AppliedChanges? Applied { get; init; }

    /// <summary>Whether webhooks are arriving; null without webhooks.</summary>
    public WebhookActivity? Webhooks { get; init; }

    /// <summary>The time to an account's next events read when its bindings poll every <paramref name="normal"/>: longer while webhooks arrive.</summary>
    public TimeSpan EventsInterval(TimeSpan normal) => Webhooks?.EventsInterval(normal) ?? normal;

    /// <summary>A batch whose lines are held in the capture's memory budget until the writer has written them.</summary>
    public CommitBatch NewBatch() => Writer.NewBatch();
}
