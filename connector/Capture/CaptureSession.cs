using System.Net;
using System.Text.Json;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Protocol;
using SourceStripe.Stripe;

namespace SourceStripe.Capture;

/// <summary>
/// Serves <c>open</c>: answers <c>opened</c>, runs every binding concurrently until stdin closes (or, when
/// <see cref="StopWhenCaughtUp"/>, until every binding has caught up), then writes each binding's last
/// checkpoint and returns 0; a binding that fails ends the capture with one sentence and 1, after the
/// others have checkpointed what they captured.
/// </summary>
public sealed class CaptureSession(OpenRequest request, TextReader? stdin, ICaptureSink sink, TimeProvider clock, Func<EndpointConfig, StripeClient> clientFactory)
{
    public TimeSpan ListLag { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Run once instead of forever: each binding reads what its state has pending plus one more range
    /// (its backfill, or a poll up to now), then Stripe's events are applied once, and the capture ends.
    /// The terminal command's mode; Flow's captures run until stdin closes.
    /// </summary>
    public bool StopWhenCaughtUp { get; init; }

    public async Task<int> RunAsync(CancellationToken cancellation)
    {
        var capture = request.Capture ?? throw new ConfigException("Invalid open request: open.capture is missing; expected the capture specification");
        var problems = new ConfigProblems();
        var config = EndpointConfig.Parse(capture.Config, problems, clock.GetUtcNow());
        var bindings = ParseBindings(capture.Bindings ?? [], problems);
        var state = ReadState(request.State);
        if (problems.Any || config is null)
        {
            throw new ConfigException(problems.Summary("capture"));
        }

        var output = new CaptureOutput(sink);
        output.Opened();
        using var client = clientFactory(config);
        await client.CalibrateClockAsync(cancellation).ConfigureAwait(false);
        var context = new CaptureContext(config, client, output, client.ServerClock) { ListLag = ListLag, StopWhenCaughtUp = StopWhenCaughtUp };
        var captures = bindings
            .Select(b => new BindingCapture(context, b, state.Bindings.GetValueOrDefault(b.StateKey)))
            .ToList();
        Log.Info($"Capturing {captures.Count} streams", ("streams", string.Join(",", bindings.Select(b => b.Stream.Name))));

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (stdin is not null)
        {
            _ = WatchStdinAsync(stdin, stop);
        }
        var running = captures.Select((c, i) => RunAsync(c.RunAsync, bindings[i].Stream.Name, stop)).ToList();
        var events = new EventsReader(context, captures);
        List<string?> failures;
        if (StopWhenCaughtUp)
        {
            // Events are applied to a binding only once its backfill is done: wait for all of them first.
            failures = [.. await Task.WhenAll(running).ConfigureAwait(false)];
            if (failures.All(f => f is null))
            {
                failures.Add(await RunAsync(events.CycleAsync, "Stripe events", stop).ConfigureAwait(false));
            }
        }
        else
        {
            running.Add(RunAsync(events.RunAsync, "Stripe events", stop));
            failures = [.. await Task.WhenAll(running).ConfigureAwait(false)];
        }
        await stop.CancelAsync().ConfigureAwait(false);

        // Whatever each binding gathered since its last checkpoint is consistent with its state: flush both.
        foreach (var c in captures)
        {
            c.Flush();
        }
        Log.Info("Capture stopped", ("documents", output.Documents), ("checkpoints", output.Checkpoints));

        var failure = failures.FirstOrDefault(f => f is not null);
        if (failure is not null)
        {
            Log.Error(failure);
            return 1;
        }
        return 0;
    }

    /// <summary>Runs one part of the capture; returns the sentence to fail with, or null when it stopped cleanly.</summary>
    private static async Task<string?> RunAsync(Func<CancellationToken, Task> part, string what, CancellationTokenSource stop)
    {
        try
        {
            await part(stop.Token).ConfigureAwait(false);
            return null;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e)
        {
            await stop.CancelAsync().ConfigureAwait(false);
            Log.Debug($"Capturing {what} failed", ("exception", e.ToString()));
            return Explain(what, e);
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
        Polly.Timeout.TimeoutRejectedException => $"Capturing {what} failed: Stripe did not answer within the time allowed for a request, retries included",
        HttpRequestException http => $"Capturing {what} failed: could not reach Stripe: {http.Message}",
        StripeResponseException bad => $"Capturing {what} failed: Stripe sent a response that could not be read: {bad.Message}",
        StripeUnavailableException unavailable => $"Capturing {what} failed: Stripe was unavailable: {unavailable.Message}; the capture will resume from its last checkpoint when restarted",
        _ => $"Capturing {what} failed unexpectedly: {e.GetType().Name}: {e.Message}",
    };

    /// <summary>Reads stdin until it closes, then stops the capture. Acknowledgements need no answer.</summary>
    private static async Task WatchStdinAsync(TextReader stdin, CancellationTokenSource stop)
    {
        try
        {
            while (await stdin.ReadLineAsync(stop.Token).ConfigureAwait(false) is { } line)
            {
                if (line.Trim().Length > 0 && !line.Contains("\"acknowledge\"", StringComparison.Ordinal))
                {
                    Log.Warn("Ignoring an unexpected message during the capture", ("length", line.Length));
                }
            }
            Log.Info("stdin closed: stopping the capture");
        }
        catch (OperationCanceledException)
        {
            return;
        }
        catch (IOException)
        {
        }
        await stop.CancelAsync().ConfigureAwait(false);
    }

    private static List<BoundStream> ParseBindings(List<CaptureBinding> bindings, ConfigProblems problems)
    {
        var configs = ProtocolHandler.ParseBindings(bindings.Select(b => b.ResourceConfig).ToList(), problems);
        if (configs.Count != bindings.Count)
        {
            return [];
        }
        // stateKey identifies a binding's state across runs; bindings may be added, removed or reordered.
        return [.. bindings.Select((b, i) => new BoundStream(i, b.StateKey is { Length: > 0 } key ? key : configs[i].Stream.Name,
            configs[i].Stream, configs[i].SyncMode, configs[i].Interval, b.Backfill))];
    }

    /// <summary>Reads the state; its shape was checked with the rest of the request (RequestErrors.StateProblem).</summary>
    private static CaptureState ReadState(JsonElement? state) =>
        state is { ValueKind: JsonValueKind.Object } merged ? merged.Deserialize(StateJson.Default.CaptureState) ?? new CaptureState() : new CaptureState();
}
