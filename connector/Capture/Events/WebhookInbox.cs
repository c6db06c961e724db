using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Output;
using SourceStripe.Logging;
using SourceStripe.Stripe;
using SourceStripe.Webhooks;

namespace SourceStripe.Capture.Events;

/// <summary>
/// Where the webhook listener hands each verified delivery: the event is applied as a poll applies it (routed by
/// type to the bindings of its account that follow it, its payload or the object read again, a tombstone for a
/// deletion, children listed again), and answered <see cref="WebhookAnswer.Captured"/> only once the runtime has
/// acknowledged the checkpoint holding its documents; <see cref="WebhookAnswer.Retry"/> when that does not happen
/// within <see cref="AnswerWithin"/>, so that Stripe delivers it again. Repeats and events older than a change
/// already applied are left alone (<see cref="AppliedChanges"/>), as are other shards' accounts and types no
/// binding follows. A binding still backfilling leaves the event to its first events poll, which starts before it.
/// </summary>
public sealed class WebhookInbox(Acknowledgements acknowledgements)
{
    /// <summary>
    /// How long a delivery may wait for its checkpoint to be acknowledged. Stripe does not publish how long it waits
    /// for an answer (third-party measurements give 20 to 30 s); well within that, so that a capture that cannot
    /// commit answers 503 itself rather than Stripe timing out.
    /// </summary>
    public static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(10);

    /// <summary>The runtime's acknowledgements of the capture's checkpoints, which deliveries wait for.</summary>
    public Acknowledgements Acknowledgements => acknowledgements;

    private readonly TaskCompletionSource<Target?> _target = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What deliveries are applied to, once the capture has found its accounts.</summary>
    private sealed record Target(CaptureContext Context, AccountDirectory Accounts, KeyRange Range, EventRoutes Routes, HashSet<string> Fields, HashSet<string> Embedded);

    /// <summary>The capture's accounts are started: deliveries are applied from now on (those waiting too).</summary>
    public void Open(CaptureContext context, AccountDirectory accounts, KeyRange range)
    {
        var routes = accounts.Routes;
        var fields = routes.Listeners.Select(b => b.Stream.Parent?.Param).OfType<string>().ToHashSet();
        var embedded = routes.Listeners.Select(b => b.Stream.Parent?.Embedded).OfType<string>().ToHashSet();
        _target.TrySetResult(new Target(context, accounts, range, routes, fields, embedded));
    }

    /// <summary>The capture stopped: deliveries answer <see cref="WebhookAnswer.Retry"/>, waiting ones too.</summary>
    public void Close()
    {
        _target.TrySetResult(null);
        acknowledgements.End();
    }

    /// <summary>Applies one delivery whose signature the listener verified; see the class's summary for the answer.</summary>
    public async Task<WebhookAnswer> DeliverAsync(ReadOnlyMemory<byte> verifiedBody, CancellationToken cancellation)
    {
        var clock = _target.Task.IsCompletedSuccessfully && _target.Task.Result is { } started ? started.Context.Clock : TimeProvider.System;
        using var deadline = new CancellationTokenSource(AnswerWithin, clock);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellation);
        try
        {
            if (await _target.Task.WaitAsync(stop.Token).ConfigureAwait(false) is not { } target)
            {
                return WebhookAnswer.Retry;
            }
            return await ApplyAsync(target, verifiedBody, stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Log.Debug(deadline.IsCancellationRequested
                ? $"A webhook was not captured within {AnswerWithin.TotalSeconds:0} s: answering so that Stripe delivers it again"
                : "A webhook's delivery ended before it was captured");
            return WebhookAnswer.Retry;
        }
        catch (Exception e) when (e is StripeApiException or StripeUnavailableException or HttpRequestException or StripeResponseException or InvalidOperationException
            or Polly.Timeout.TimeoutRejectedException)
        {
            // Reading the object again failed, or the writer stopped: Stripe delivers it again, and the poll has it anyway.
            Log.Debug("Applying a webhook failed: answering so that Stripe delivers it again", ("exception", e.GetType().Name), ("message", e.Message));
            return WebhookAnswer.Retry;
        }
    }

    private async Task<WebhookAnswer> ApplyAsync(Target target, ReadOnlyMemory<byte> body, CancellationToken stop)
    {
        var context = target.Context;
        StripeEvent e;
        try
        {
            e = StripeEvent.Parse(body.Span, target.Fields, target.Embedded);
        }
        catch (StripeResponseException problem)
        {
            // Signed, so Stripe's, but no event the connector can read: delivering it again would not help.
            Log.Warn($"Ignoring a webhook that is not a Stripe event: {problem.Message}");
            return WebhookAnswer.Ignored;
        }
        context.Webhooks?.Delivered();
        var accountId = e.Account ?? context.Config.AccountId;
        if (!target.Range.Owns(accountId) || target.Accounts.Find(accountId) is not { IsActive: true } account)
        {
            return WebhookAnswer.Ignored;
        }
        // The account is changing: its events are polled ahead of idle accounts', a delivery lost meanwhile found sooner.
        target.Accounts.Events.Named(account);
        var cycles = new List<(BindingCycle Cycle, bool Direct)>();
        foreach (var (binding, direct) in target.Routes.For(e.Type))
        {
            if (account.UseForEvents(binding.Index, long.MaxValue) is var (held, cursor))
            {
                cycles.Add((new BindingCycle(held, long.MinValue) { Applied = context.Applied, PolledUpTo = cursor }, direct));
            }
        }
        if (cycles.Count == 0)
        {
            return WebhookAnswer.Ignored;
        }
        var item = new PageItem(0, body.Length, e.Id, e.Created, null);
        var committed = false;
        try
        {
            foreach (var (cycle, direct) in cycles)
            {
                committed |= await ApplyToAsync(cycle, item, e, direct, body, stop).ConfigureAwait(false);
            }
        }
        finally
        {
            foreach (var (cycle, _) in cycles)
            {
                cycle.Binding.Unpin();
            }
        }
        if (!committed)
        {
            return WebhookAnswer.Ignored;
        }
        // Read after the commits were queued: at least the number of the last one's checkpoint.
        await acknowledgements.WhenAcknowledged(context.Writer.Queued).WaitAsync(stop).ConfigureAwait(false);
        return WebhookAnswer.Captured;
    }

    /// <summary>Applies the event to one binding as a poll's page does; false when it changes nothing there.</summary>
    private static async Task<bool> ApplyToAsync(BindingCycle cycle, PageItem item, StripeEvent e, bool direct, ReadOnlyMemory<byte> body, CancellationToken stop)
    {
        var batch = cycle.Binding.Context.NewBatch();
        var order = new CommitOrder();
        try
        {
            var refetch = EventApplier.Triage(cycle, _ => body.Span, [(item, e, direct)], batch, order);
            if (cycle.Documents == 0 && cycle.Relist.Count == 0)
            {
                return false;
            }
            await EventApplier.RefetchAsync(cycle.Binding, refetch, batch, stop).ConfigureAwait(false);
            await EventApplier.RelistAsync(cycle, stop).ConfigureAwait(false);
            await order.EarlierCommitted().WaitAsync(stop).ConfigureAwait(false);
            await cycle.Binding.CommitAsync(batch, null, stop).ConfigureAwait(false);
            return true;
        }
        finally
        {
            order.Done();
            // Lines not committed (a failed read) go back to the memory budget.
            batch.Take().Lines?.Dispose();
        }
    }
}
