using System.Net.Http.Headers;
using SourceStripe.Simulator.Server;

namespace SourceStripe.Simulator.Webhooks;

/// <summary>The workers that POST deliveries, and the one loop that hands due retries back to them.</summary>
internal sealed partial class WebhookDispatcher
{
    private static readonly MediaTypeHeaderValue JsonUtf8 = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");

    // Retries wait here rather than as timers of their own: a receiver down for hours must not become one timer per event.
    private readonly PriorityQueue<Delivery, DateTimeOffset> _retries = new();
    private CancellationTokenSource? _retryWake;

    /// <summary>How far a real clock may move while the retry loop starts its delay without the loop looking again.</summary>
    private static readonly TimeSpan ClockDrift = TimeSpan.FromMilliseconds(1);

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        // A test's loopback receiver, never a proxy; Stripe follows no redirect: a 3xx is a failed delivery.
        UseProxy = false,
        AllowAutoRedirect = false,
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
    })
    {
        // Each attempt has its own timeout, on the options' TimeProvider.
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private async Task DeliverAsync(CancellationToken stop)
    {
        while (await _ready.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
        {
            while (_ready.Reader.TryRead(out var delivery))
            {
                await Volatile.Read(ref _resumed).Task.WaitAsync(stop).ConfigureAwait(false);
                await AttemptAsync(delivery, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task AttemptAsync(Delivery delivery, CancellationToken stop)
    {
        if (delivery.Registration.Removed)
        {
            Interlocked.Decrement(ref _pending);
            return;
        }
        if (delivery.Attempt == 1)
        {
            delivery = delivery with { FirstAttemptAt = _options.TimeProvider.GetUtcNow() };
        }
        var (outcome, status, failure) = await SendAsync(delivery, stop).ConfigureAwait(false);
        var now = _options.TimeProvider.GetUtcNow();
        var retryIn = outcome == WebhookOutcome.Delivered ? null : _options.Retry.DelayBefore(delivery.Attempt + 1, now - delivery.FirstAttemptAt);
        // The retry is scheduled before the attempt is logged, and the delivery stops counting as pending after:
        // whoever waits on the log finds the retry due at a time the attempt fixed, and never a delivery in neither place.
        if (retryIn is { } wait)
        {
            ScheduleRetry(delivery with { Attempt = delivery.Attempt + 1 }, now + wait);
        }
        Log.Add(Record(delivery, outcome, status, failure, retryIn));
        if (retryIn is null)
        {
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>One POST: the event as <c>GET /v1/events/{id}</c> renders it (Stripe's indented JSON), signed at the
    /// simulator's "now" with each of the destination's secrets.</summary>
    private async Task<(WebhookOutcome Outcome, int? Status, string? Failure)> SendAsync(Delivery delivery, CancellationToken stop)
    {
        byte[] body;
        using (var indented = new PooledBuffer(delivery.Event.Json.Length * 3 / 2))
        {
            JsonIndenter.Indent(delivery.Event.Json, indented);
            body = indented.WrittenSpan.ToArray();
        }
        var destination = delivery.Registration.Destination;
        using var request = new HttpRequestMessage(HttpMethod.Post, destination.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = JsonUtf8;
        request.Headers.TryAddWithoutValidation("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)");
        request.Headers.TryAddWithoutValidation("Accept", "*/*; q=0.5, application/xml");
        request.Headers.TryAddWithoutValidation("Cache-Control", "no-cache");
        request.Headers.TryAddWithoutValidation("Stripe-Signature",
            WebhookSignature.Header(_clock().ToUnixTimeSeconds(), body, destination.Secrets));
        using var timeout = new CancellationTokenSource(_options.Timeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            using var response = await _http.SendAsync(request, linked.Token).ConfigureAwait(false);
            // Stripe waits for the whole answer; reading it also frees the connection for the next delivery.
            await response.Content.LoadIntoBufferAsync(linked.Token).ConfigureAwait(false);
            var code = (int)response.StatusCode;
            return (code is >= 200 and < 300 ? WebhookOutcome.Delivered : WebhookOutcome.Rejected, code, null);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !stop.IsCancellationRequested)
        {
            return (WebhookOutcome.TimedOut, null, $"no answer within {_options.Timeout.TotalSeconds:0.###} s");
        }
        catch (HttpRequestException e)
        {
            return (WebhookOutcome.Unreachable, null, e.HttpRequestError.ToString());
        }
        catch (IOException)
        {
            return (WebhookOutcome.Unreachable, null, "the connection broke");
        }
    }

    private void ScheduleRetry(Delivery delivery, DateTimeOffset due)
    {
        lock (_gate)
        {
            _retries.Enqueue(delivery, due);
            // Wake the loop only if this retry is now the first due; it sleeps until the earliest otherwise.
            if (_retries.TryPeek(out var first, out _) && ReferenceEquals(first, delivery))
            {
                _retryWake?.Cancel();
            }
        }
    }

    private async Task ScheduleRetriesAsync(CancellationToken stop)
    {
        var time = _options.TimeProvider;
        while (!stop.IsCancellationRequested)
        {
            DateTimeOffset now;
            TimeSpan wait;
            CancellationTokenSource wake;
            lock (_gate)
            {
                now = time.GetUtcNow();
                while (_retries.TryPeek(out var delivery, out var due) && due <= now)
                {
                    _retries.Dequeue();
                    // Room is certain: a retry was counted in _pending when first queued, and _pending bounds the channel.
                    _ready.Writer.TryWrite(delivery);
                }
                wait = _retries.TryPeek(out _, out var next) ? next - now : Timeout.InfiniteTimeSpan;
                _retryWake = wake = CancellationTokenSource.CreateLinkedTokenSource(stop);
            }
            var delay = Task.Delay(wait, time, wake.Token);
            // A delay counts from when it starts: had the clock moved since "now" (a test advancing its fake clock), the
            // retry would come that much late, and a fake clock might never get there. Look again instead.
            if (wait != Timeout.InfiniteTimeSpan && time.GetUtcNow() - now > ClockDrift)
            {
                await wake.CancelAsync().ConfigureAwait(false);
            }
            // Forced to yield: the wake-up is cancelled by ScheduleRetry under the lock, and the loop must not run there.
            await delay.ConfigureAwait(ConfigureAwaitOptions.ForceYielding | ConfigureAwaitOptions.SuppressThrowing);
            lock (_gate)
            {
                _retryWake = null;
            }
            wake.Dispose();
        }
        stop.ThrowIfCancellationRequested();
    }
}
