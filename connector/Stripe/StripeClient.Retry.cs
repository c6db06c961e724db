using Polly;
using Polly.Retry;
using Polly.Timeout;
using SourceStripe.Buffers;
using SourceStripe.Logging;

namespace SourceStripe.Stripe;

/// <summary>How a request is made and retried: the limiter before each attempt, the attempt's and the request's time bounds, and which failures are worth another try.</summary>
public sealed partial class StripeClient
{
    /// <summary>
    /// One request through the retry pipeline; the body is parsed inside each attempt so a truncated or
    /// malformed answer is retried like any transient failure, and never half-used. Each attempt first
    /// waits for the limiter (the key's budget and its endpoint's), outside both its own timeout and the
    /// request's budget (<see cref="RequestBudget"/>); a 429 slows down what its reason names.
    /// </summary>
    private async Task<T> SendAsync<T>(string pathAndQuery, Func<byte[], int, MemoryBudget.Admission?, T> parse, string? account, CancellationToken cancellation, int connectAttempts = int.MaxValue, bool waitForRoom = false)
    {
        var endpoint = RequestEndpoint.Of(account, pathAndQuery);
        using var budget = new RequestBudget(_retryBudget, cancellation);
        Exception? lastFailure = null;
        var unanswered = 0;
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                await budget.AcquireAsync(Limiter, endpoint).ConfigureAwait(false);
                using var attempt = new RequestBudget(_attemptTimeout, token);
                try
                {
                    var (buffer, length, linesRoom) = await GetBodyAsync(pathAndQuery, endpoint, attempt, waitForRoom ? budget : null).ConfigureAwait(false);
                    Limiter.Answered(attempt.Elapsed);
                    try
                    {
                        return parse(buffer, length, linesRoom);
                    }
                    catch
                    {
                        linesRoom?.Dispose();
                        throw;
                    }
                }
                catch (OperationCanceledException e) when (attempt.Spent)
                {
                    lastFailure = new TimeoutRejectedException($"no answer within {_attemptTimeout.TotalSeconds:0.#} s", _attemptTimeout, e);
                    throw lastFailure;
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    if (e is StripeApiException { ThrottleScope: not ThrottleScope.None and var scope })
                    {
                        Limiter.OnThrottled(endpoint, scope);
                    }
                    lastFailure = e;
                    // HttpClient throws HttpRequestException only when no response came at all.
                    if (e is HttpRequestException && ++unanswered >= connectAttempts)
                    {
                        throw new StripeUnreachableException(e);
                    }
                    throw;
                }
            }, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (budget.Spent)
        {
            throw new StripeUnavailableException(pathAndQuery, _retryBudget, lastFailure);
        }
    }


    private static bool? ShouldRetryHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Stripe-Should-Retry", out var values) && values.FirstOrDefault() is { } value
            ? string.Equals(value, "true", StringComparison.OrdinalIgnoreCase)
            : null;

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta
        ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    /// <summary>Retries without end: the request's <see cref="RequestBudget"/> stops them.</summary>
    private static ResiliencePipeline BuildRetry() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome.Exception)),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(30),
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Exception is StripeApiException { RetryAfter: { } after } && after > TimeSpan.Zero ? (TimeSpan?)after : null),
            OnRetry = args =>
            {
                Log.Warn("Retrying a Stripe request", ("attempt", args.AttemptNumber + 1), ("delay", args.RetryDelay), ("reason", args.Outcome.Exception is { } e ? StripeUnavailableException.WithInner(e) : null));
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    private static bool IsTransient(Exception? exception) => exception switch
    {
        StripeApiException api => api.IsTransient,
        StripeResponseException or HttpRequestException or IOException or TimeoutRejectedException => true,
        _ => false,
    };
}
