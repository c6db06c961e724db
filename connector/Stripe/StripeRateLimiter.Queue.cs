using System.Diagnostics.CodeAnalysis;
using System.Threading.RateLimiting;

namespace SourceStripe.Stripe;

/// <summary>What the limiter queues: each endpoint's budget with its waiters, and the leases it hands out.</summary>
public sealed partial class StripeRateLimiter
{
    /// <summary>One endpoint's budget and the requests waiting for it.</summary>
    private sealed class Endpoint(RequestPace pace)
    {
        public RequestPace Pace => pace;

        public LinkedList<Waiter> Waiters { get; } = new();
    }

    /// <summary>One queued request; completed exactly once, by whoever takes it out of its queue.</summary>
    private sealed class Waiter(StripeRateLimiter limiter, Endpoint endpoint, long arrival) : TaskCompletionSource<RateLimitLease>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public Endpoint Endpoint => endpoint;

        /// <summary>When it came, among every endpoint's waiters.</summary>
        public long Arrival => arrival;

        public LinkedListNode<Waiter>? Node { get; set; }

        private CancellationTokenRegistration _cancellation;

        public void Watch(CancellationToken token) =>
            _cancellation = token.UnsafeRegister(static (state, token) => ((Waiter)state!).Cancel(token), this);

        /// <summary>Grants or fails it; unregistering does not wait for a cancellation running elsewhere, which finds it gone.</summary>
        public void Complete(RateLimitLease? lease, Exception? failure)
        {
            _ = lease is null ? TrySetException(failure!) : TrySetResult(lease);
            _cancellation.Unregister();
        }

        private void Cancel(CancellationToken token)
        {
            if (limiter.Remove(this))
            {
                TrySetCanceled(token);
            }
        }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Granted = new(true);
        public static readonly Lease Denied = new(false);

        public override bool IsAcquired { get; } = acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, [MaybeNullWhen(false)] out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
