namespace SourceStripe.Stripe;

/// <summary>What a 429 slows down, read from its <c>Stripe-Rate-Limited-Reason</c>.</summary>
public enum ThrottleScope
{
    /// <summary>Nothing: object-level contention (<c>lock_timeout</c>), retried as it is.</summary>
    None,

    /// <summary>The endpoint it was made to (<c>endpoint-rate</c>, <c>endpoint-concurrency</c>, <c>resource-specific</c>).</summary>
    Endpoint,

    /// <summary>Every request of the key (<c>global-rate</c>, <c>global-concurrency</c>, or a reason this client does not know).</summary>
    Key,
}
