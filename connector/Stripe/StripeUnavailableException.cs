namespace SourceStripe.Stripe;

/// <summary>A request that kept failing transiently for longer than the retry budget allows.</summary>
public sealed class StripeUnavailableException(string path, TimeSpan budget, Exception? lastFailure)
    : Exception($"GET {path.Split('?')[0]} kept failing for {budget.TotalSeconds:0} s of retries; the last attempt: {Describe(lastFailure)}", lastFailure)
{
    private static string Describe(Exception? failure) => failure switch
    {
        null => "none finished in time",
        StripeApiException api => api.Message,
        Polly.Timeout.TimeoutRejectedException => "no answer within the request timeout",
        _ => WithInner(failure),
    };

    /// <summary>A connection failure's message and its causes' (TLS and socket errors sit underneath).</summary>
    public static string WithInner(Exception failure)
    {
        var text = failure.Message;
        for (var inner = failure.InnerException; inner is not null; inner = inner.InnerException)
        {
            text += " (" + inner.Message + ")";
        }
        return text;
    }
}

/// <summary>A request that could not reach a server at all: the name did not resolve, nothing accepted the
/// connection, TLS failed or the proxy refused the tunnel.</summary>
public sealed class StripeUnreachableException(Exception failure)
    : Exception(StripeUnavailableException.WithInner(failure), failure);
