namespace SourceStripe.Webhooks;

/// <summary>What the capture made of one verified delivery: the listener answers 200 for the first two, 503 for the last.</summary>
public enum WebhookAnswer
{
    /// <summary>Its documents are in a checkpoint the runtime acknowledged.</summary>
    Captured,

    /// <summary>Nothing of this shard's wants it (another shard's account, a type no binding follows, a repeat).</summary>
    Ignored,

    /// <summary>Not captured in time: Stripe should deliver it again.</summary>
    Retry,
}
