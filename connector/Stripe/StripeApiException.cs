using System.Net;

namespace SourceStripe.Stripe;

/// <summary>A Stripe error response, with what the retry policy needs to decide on it.</summary>
public sealed class StripeApiException(HttpStatusCode status, StripeError? error, string path, bool? shouldRetry, TimeSpan? retryAfter)
    : Exception($"Stripe answered {(int)status} for GET {path.Split('?')[0]}{(error is { Message.Length: > 0 } ? ": " + error.Message : "")}")
{
    public HttpStatusCode Status { get; } = status;

    public StripeError? Error { get; } = error;

    public string Path { get; } = path;

    /// <summary>Stripe's own <c>Stripe-Should-Retry</c> verdict, when it sent one.</summary>
    public bool? ShouldRetry { get; } = shouldRetry;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Whether trying again can help: Stripe's header decides, else 409, 429 and 5xx.</summary>
    public bool IsTransient => ShouldRetry ?? ((int)Status is 409 or 429 or >= 500);

    public bool IsResourceMissing => Status == HttpStatusCode.NotFound || Error?.Code == "resource_missing";
}
