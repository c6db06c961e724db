using System.Net;

namespace SourceStripe.Stripe;

/// <summary>A Stripe error response, with what the retry policy needs to decide on it.</summary>
public sealed class StripeApiException(HttpStatusCode status, StripeError? error, string path, bool? shouldRetry, TimeSpan? retryAfter, string? rateLimitedReason = null)
    : Exception($"Stripe answered {(int)status} for GET {path.Split('?')[0]}{(error is { Message.Length: > 0 } ? ": " + error.Message : "")}")
{
    public HttpStatusCode Status { get; } = status;

    public StripeError? Error { get; } = error;

    public string Path { get; } = path;

    /// <summary>Stripe's own <c>Stripe-Should-Retry</c> verdict, when it sent one.</summary>
    public bool? ShouldRetry { get; } = shouldRetry;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>A 429's <c>Stripe-Rate-Limited-Reason</c>: the limiter that refused it.</summary>
    public string? RateLimitedReason { get; } = rateLimitedReason;

    /// <summary>
    /// What a 429 says to slow down: its endpoint when an endpoint's limiter refused it, nothing for contention on
    /// one object (<c>lock_timeout</c>, which carries no reason), and otherwise the key, a reason this client does
    /// not know included: slowing everything is the safe answer to a limit it cannot place.
    /// </summary>
    public ThrottleScope ThrottleScope => Status != HttpStatusCode.TooManyRequests ? ThrottleScope.None : RateLimitedReason switch
    {
        "endpoint-rate" or "endpoint-concurrency" or "resource-specific" => ThrottleScope.Endpoint,
        null when Error?.Code == "lock_timeout" => ThrottleScope.None,
        _ => ThrottleScope.Key,
    };

    /// <summary>Whether trying again can help: Stripe's header decides, else 409, 429 and 5xx.</summary>
    public bool IsTransient => ShouldRetry ?? ((int)Status is 409 or 429 or >= 500);

    public bool IsResourceMissing => Status == HttpStatusCode.NotFound || Error?.Code == "resource_missing";
}
