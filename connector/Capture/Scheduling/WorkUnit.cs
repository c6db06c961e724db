using SourceStripe.Stripe;

namespace SourceStripe.Capture.Scheduling;

/// <summary>
/// A small piece of a capture: one page of one binding's range for one account, one page of a parent
/// stream with its children, one page of Stripe events, or the planning step that creates such pages.
/// Units that find more to do hand the next unit to the scheduler rather than looping.
/// </summary>
public abstract class WorkUnit
{
    /// <summary>Backfills come first: a collection is empty until its backfill is done.</summary>
    public abstract bool IsBackfill { get; }

    /// <summary>Among units of one kind, the one whose data is oldest (its cursor, unix seconds) goes first.</summary>
    public abstract long Cursor { get; }

    /// <summary>What the unit works on, for the error a failure ends the capture with ("charges", "Stripe events").</summary>
    public abstract string What { get; }

    /// <summary>
    /// The endpoint whose budget the unit's requests spend, one after another (a page of charges: the list of
    /// charges; a page of customers' tax ids: each customer's tax ids); null for a unit that makes no request.
    /// </summary>
    public virtual RequestEndpoint? Endpoint => null;

    public abstract Task RunAsync(CancellationToken stop);
}

/// <summary>A unit made of a delegate: planning steps and the like.</summary>
public sealed class DelegateUnit(string what, bool isBackfill, long cursor, Func<CancellationToken, Task> run) : WorkUnit
{
    public override bool IsBackfill => isBackfill;

    public override long Cursor => cursor;

    public override string What => what;

    public override Task RunAsync(CancellationToken stop) => run(stop);
}
