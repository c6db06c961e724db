using System.Net;
using SourceStripe.Buffers;
using SourceStripe.Capture.Accounts;
using SourceStripe.Capture.Events;
using SourceStripe.Capture.Output;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.State;
using SourceStripe.Stripe;

using SourceStripe.Webhooks;

namespace SourceStripe.Capture;

/// <summary>
/// Runs one capture as its <see cref="CaptureSpec"/> says: answers <c>opened</c>, then runs the capture's
/// units of work on one scheduler (each binding of the account reading its ranges, the events reader
/// applying changes) until stdin closes (or, when <see cref="CaptureSpec.StopWhenCaughtUp"/>, until every
/// binding has caught up), with one writer owning the output; then writes each binding's last checkpoint
/// and returns 0. A unit that fails ends the capture with one sentence and 1, after the others have
/// stopped and checkpointed what they captured.
/// </summary>
public sealed class CaptureSession(CaptureSpec spec, ICaptureInput? input, ICaptureSink sink, Func<EndpointConfig, StripeClient> clientFactory)
{
    /// <summary>
    /// Where the webhook listener hands verified deliveries (<see cref="WebhookInbox.DeliverAsync"/>) when the capture
    /// takes webhooks (<see cref="CaptureSpec.TakesWebhooks"/>); null otherwise.
    /// </summary>
    /// <remarks>
    /// Only with a runtime that acknowledges checkpoints: a terminal capture gets none, so its deliveries could never
    /// be answered and it polls events only.
    /// </remarks>
    public WebhookInbox? Inbox { get; } = spec.TakesWebhooks && input is not null ? new WebhookInbox(new Acknowledgements()) : null;

    /// <summary>
    /// The capture's memory: the bytes of the pages it reads and of the lines it has not written yet, counted
    /// once, in one budget shared by the client, the writer and the scheduler.
    /// </summary>
    public MemoryBudget Memory { get; init; } = new();

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        var (config, bindings, range, state) = spec;
        // The one budget of the capture's memory: bodies are read into it, lines wait for stdout in it, and
        // no unit starts while it is full.
        var writer = new CaptureWriter(sink, Memory);
        writer.Opened();
        using var client = clientFactory(config);
        client.ReadInto(Memory);
        await client.CalibrateClockAsync(cancellation).ConfigureAwait(false);
        var scheduler = new WorkScheduler(client.ServerClock, WorkScheduler.SlotsFor(config.Advanced.RequestsPerSecond(config.ClientSecret)))
        {
            HasRoom = () => Memory.HasRoom,
            EndpointCapacity = client.Limiter.Capacity,
        };
        Memory.RoomFreed += scheduler.Wake;
        // Other shards' accounts are theirs: never read nor written here, not even kept in memory.
        foreach (var id in state.Accounts.Keys.Where(id => !range.Owns(id)).ToList())
        {
            state.Accounts.Remove(id);
        }
        var layout = StateLayout.Place(state, [.. bindings.Select(b => b.Column)], range.Owns, range.IsFull);
        foreach (var stateKey in layout.Restarted)
        {
            Log.Info($"Backfilling {stateKey} again: its backfill counter rose or its mode changed");
        }
        if (layout.Patch is { } placed)
        {
            // Ahead of any row that uses the new columns.
            writer.Add(null, 0, null, placed.ToArray());
        }
        foreach (var accountsPending in state.Pending.Values)
        {
            foreach (var id in accountsPending.Keys.Where(id => !range.Owns(id)).ToList())
            {
                accountsPending.Remove(id);
            }
        }
        bindings = [.. bindings.Select((b, i) => b with { ColumnIndex = layout.ColumnOfBinding[i] })];
        var context = new CaptureContext(config, client, writer, client.ServerClock, scheduler)
        {
            StopWhenCaughtUp = spec.StopWhenCaughtUp,
            Columns = layout.Columns,
            Applied = Inbox is null ? null : new AppliedChanges(),
            Webhooks = Inbox is null ? null : new WebhookActivity(client.ServerClock, config.Advanced.EventsIntervalWithWebhooks),
        };
        var accounts = new AccountDirectory(context, bindings, state, range);
        Log.Info($"Capturing {bindings.Count} streams", ("streams", string.Join(",", bindings.Select(b => b.Stream.Name))));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var writing = WriteAsync(writer, stop);
        var watching = input is null ? Task.FromResult<string?>(null) : WatchInputAsync(input, stop);
        string? failure = null;
        try
        {
            await accounts.StartAsync(stop.Token).ConfigureAwait(false);
            Inbox?.Open(context, accounts, range);
            // An account the listing has not reached yet answers its deliveries 200 and leaves them alone: it reads
            // them from its events once started (from its cursor, or after a backfill that covers them).
            await using var listener = Inbox is null ? null
                : await WebhookListener.StartAsync(config.Advanced.WebhookAddress, config.WebhookSecrets, Inbox.DeliverAsync, client.ServerClock, stop.Token).ConfigureAwait(false);
            scheduler.IdleWork = accounts.NextSplit;
            if (spec.StopWhenCaughtUp)
            {
                // Events are applied to a binding only once its backfill is done: one cycle once all are.
                var eventsRan = false;
                scheduler.OnIdle = () =>
                {
                    if (eventsRan)
                    {
                        return false;
                    }
                    eventsRan = true;
                    accounts.ReadEventsOnce();
                    return true;
                };
            }
            await scheduler.RunAsync(stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        catch (IOException e) when (Inbox is not null && e.InnerException is System.Net.Sockets.SocketException or IOException)
        {
            failure = e.Message;
        }
        catch (Exception e) when (e is ConfigException or StripeApiException or StripeUnavailableException or HttpRequestException or StripeResponseException)
        {
            // Starting the platform's own account, before any unit ran; the listing's failures come through the scheduler.
            failure = Explain("the platform's connected accounts", e);
        }
        if (scheduler.Failure is { } failed)
        {
            failure = Explain(failed.What, failed.Error);
        }
        // No acknowledgement can follow: deliveries waiting for one are answered so that Stripe delivers them again.
        Inbox?.Close();

        // Whatever each binding gathered since its last checkpoint is consistent with its state: flush both.
        try
        {
            await accounts.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // The writer stopped (stdout is gone): its own error says so.
        }
        writer.Complete();
        // Both are awaited whatever failed first: the process must not exit while the writer is mid-line.
        var writeFailure = await writing.ConfigureAwait(false);
        await stop.CancelAsync().ConfigureAwait(false);
        var stdinFailure = await watching.ConfigureAwait(false);
        failure ??= writeFailure ?? stdinFailure;
        Log.Info("Capture stopped", ("documents", writer.Documents), ("checkpoints", writer.Checkpoints));

        if (failure is not null)
        {
            Log.Error(failure);
            return 1;
        }
        return 0;
    }

    /// <summary>Runs the writer; returns the sentence to fail with when stdout fails, after stopping the capture.</summary>
    private static async Task<string?> WriteAsync(CaptureWriter writer, CancellationTokenSource stop)
    {
        try
        {
            await writer.RunAsync().ConfigureAwait(false);
            return null;
        }
        catch (Exception e)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            Log.Debug("Writing the capture's output failed", ("exception", e.ToString()));
            return $"Writing the capture's output failed: {e.Message}; the capture will resume from its last checkpoint when restarted";
        }
    }

    /// <summary>One sentence a user can act on, for the error Flow shows.</summary>
    public static string Explain(string what, Exception e) => e switch
    {
        StripeApiException { Status: HttpStatusCode.Unauthorized } =>
            $"Stripe rejected the secret key (401) while reading {what}: the key was revoked, rolled or is wrong; update client_secret and restart the capture",
        StripeApiException { Status: HttpStatusCode.Forbidden } api =>
            $"The key lacks read access to {what} (Stripe answered 403{(api.Error is { Message.Length: > 0 } ? ": " + api.Error.Message : "")}); grant it Read in the restricted key's permissions or remove the binding",
        StripeApiException api => $"Capturing {what} failed: {api.Message}",
        ConfigException config => config.Message,
        Polly.Timeout.TimeoutRejectedException => $"Capturing {what} failed: Stripe did not answer within the time allowed for a request, retries included",
        HttpRequestException http => $"Capturing {what} failed: could not reach Stripe: {http.Message}",
        StripeResponseException bad => $"Capturing {what} failed: Stripe sent a response that could not be read: {bad.Message}",
        StripeUnavailableException unavailable => $"Capturing {what} failed: Stripe was unavailable: {unavailable.Message}; the capture will resume from its last checkpoint when restarted",
        _ => $"Capturing {what} failed unexpectedly: {e.GetType().Name}: {e.Message}",
    };

    /// <summary>
    /// Reads the runtime's input until it closes, then stops the capture (Flow's way to end it), counting the
    /// acknowledgements on the way; returns the sentence to fail with when the input breaks instead.
    /// </summary>
    private async Task<string?> WatchInputAsync(ICaptureInput input, CancellationTokenSource stop)
    {
        // Without webhooks nothing waits for them (the runtime sends none unless asked).
        var failure = await input.ReadAsync(checkpoints => Inbox?.Acknowledgements.Acknowledge(checkpoints), stop.Token).ConfigureAwait(false);
        if (!stop.IsCancellationRequested)
        {
            await stop.CancelAsync().ConfigureAwait(false);
        }
        return failure;
    }
}
