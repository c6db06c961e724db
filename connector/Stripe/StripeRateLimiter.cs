using System.Threading.RateLimiting;

namespace SourceStripe.Stripe;

/// <summary>
/// The one limiter every Stripe request waits on, keeping Stripe's two limits: the key's requests a second over
/// all endpoints, and each endpoint's (<see cref="RequestEndpoint"/>: one operation for one account), each paced
/// by its own <see cref="RequestPace"/>. A request leaves once both have a slot open. Waiters of one endpoint
/// leave in the order they came; among endpoints, the one whose head came first goes first, but an endpoint
/// whose own budget is spent holds back only its own waiters: the key's budget goes to the others meanwhile
/// rather than queueing behind a full endpoint. One timer, armed for the moment the next waiter may leave,
/// releases it and any behind it whose slots have opened too, so no waiter polls.
/// <para>
/// A 429 slows what it names (<see cref="OnThrottled"/>): an endpoint's limiter its endpoint, the key's the
/// key. An endpoint's budget lives while it is used: one idle for a second, back at its aim, is forgotten, so
/// a platform of many connected accounts holds budgets only for the endpoints it reads now.
/// </para>
/// </summary>
public sealed partial class StripeRateLimiter : PartitionedRateLimiter<RequestEndpoint>
{
    /// <summary>Stripe's Files API allows 20 reads a second, not the default 25.</summary>
    public const double FilesRequestsPerSecond = 20;

    /// <summary>How much weight each answer's time has in <see cref="AnswerSeconds"/>.</summary>
    private const double AnswerWeight = 0.05;

    private readonly Lock _gate = new();
    private readonly TimeProvider _clock;
    private readonly ITimer _timer;
    private readonly double _endpointLimit;
    private readonly RequestPace _key;
    private readonly Dictionary<RequestEndpoint, Endpoint> _endpoints = [];
    /// <summary>The endpoints with requests waiting, each in its own queue.</summary>
    private readonly List<Endpoint> _waiting = [];
    private long _arrivals;
    private long _granted;
    private long _lastSweep;
    private long _endpointThrottles;
    private double _answerSeconds = 0.5;
    private bool _disposed;

    public StripeRateLimiter(double requestsPerSecond, double requestsPerSecondPerEndpoint, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(requestsPerSecondPerEndpoint);
        _clock = clock ?? TimeProvider.System;
        var now = _clock.GetTimestamp();
        _lastSweep = now;
        _endpointLimit = requestsPerSecondPerEndpoint;
        _key = new RequestPace(new PacingPolicy(requestsPerSecond, now, _clock.TimestampFrequency), now, _clock.TimestampFrequency);
        _timer = _clock.CreateTimer(static state => ((StripeRateLimiter)state!).Release(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>The rate the key's requests are paced at now.</summary>
    public double CurrentRate
    {
        get { lock (_gate) { return _key.Policy.Rate(_clock.GetTimestamp()); } }
    }

    /// <summary>The rate requests of <paramref name="endpoint"/> can leave at now: its own budget's, within the key's.</summary>
    public double RateOf(RequestEndpoint endpoint)
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            var own = _endpoints.TryGetValue(endpoint, out var known) ? known.Pace.Policy.Rate(now) : LimitOf(endpoint) * PacingPolicy.Aim;
            return Math.Min(own, _key.Policy.Rate(now));
        }
    }

    /// <summary>How many 429s lowered the key's rate.</summary>
    public long Throttles
    {
        get { lock (_gate) { return _key.Policy.Throttles; } }
    }

    /// <summary>How many 429s lowered an endpoint's rate.</summary>
    public long EndpointThrottles
    {
        get { lock (_gate) { return _endpointThrottles; } }
    }

    /// <summary>A moving average of the time Stripe takes to answer a request, from its leaving to its body read.</summary>
    public double AnswerSeconds
    {
        get { lock (_gate) { return _answerSeconds; } }
    }

    /// <summary>
    /// How many units of work reading <paramref name="endpoint"/> one after another keep it at its rate: by
    /// Little's law its rate times the time an answer takes, doubled for Stripe's latency tail and the time a
    /// unit spends between its requests. More only wait here, holding a place other endpoints could use.
    /// </summary>
    public int Capacity(RequestEndpoint endpoint) => Math.Max(2, (int)Math.Ceiling(RateOf(endpoint) * AnswerSeconds * 2) + 1);

    /// <summary>Stripe answered a request in <paramref name="elapsed"/> (from its leaving to its body read).</summary>
    public void Answered(TimeSpan elapsed)
    {
        lock (_gate)
        {
            _answerSeconds += (elapsed.TotalSeconds - _answerSeconds) * AnswerWeight;
        }
    }

    /// <summary>Stripe answered 429 for <paramref name="endpoint"/>: slow down what <paramref name="scope"/> names.</summary>
    public void OnThrottled(RequestEndpoint endpoint, ThrottleScope scope)
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            if (scope == ThrottleScope.Key)
            {
                _key.Policy.Throttled(now);
            }
            else if (scope == ThrottleScope.Endpoint && Find(endpoint, now).Pace.Policy.Throttled(now))
            {
                _endpointThrottles++;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics(RequestEndpoint resource)
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            var endpoint = _endpoints.GetValueOrDefault(resource);
            var room = Math.Min(_key.Policy.MaxPerSecond - _key.SentInLastSecond(now),
                endpoint is null ? int.MaxValue : endpoint.Pace.Policy.MaxPerSecond - endpoint.Pace.SentInLastSecond(now));
            return new RateLimiterStatistics
            {
                CurrentAvailablePermits = Math.Max(0, room),
                CurrentQueuedCount = endpoint?.Waiters.Count ?? 0,
                TotalSuccessfulLeases = _granted,
            };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(RequestEndpoint resource, int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(permitCount, 1);
        List<Waiter> ready = [];
        bool taken;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _clock.GetTimestamp();
            // Waiters whose slots opened while the timer ran late go first.
            ReleaseDue(now, ready);
            taken = TryTake(resource, now);
        }
        Complete(ready);
        return taken ? Lease.Granted : Lease.Denied;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(RequestEndpoint resource, int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNotEqual(permitCount, 1);
        Waiter waiter;
        List<Waiter> ready = [];
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var now = _clock.GetTimestamp();
            if (_waiting.Count == 0 && TryTake(resource, now))
            {
                return ValueTask.FromResult<RateLimitLease>(Lease.Granted);
            }
            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled<RateLimitLease>(cancellationToken);
            }
            var endpoint = Find(resource, now);
            waiter = new Waiter(this, endpoint, _arrivals++);
            waiter.Node = endpoint.Waiters.AddLast(waiter);
            if (endpoint.Waiters.Count == 1)
            {
                _waiting.Add(endpoint);
            }
            // Under the lock, so no release sees the waiter before its registration. A token cancelled since
            // the check above runs the cancellation here, re-entering the lock (a Lock is reentrant).
            waiter.Watch(cancellationToken);
            ReleaseDue(now, ready);
        }
        Complete(ready);
        // The waiter's own task: a release completes it (its continuations run on the thread pool).
        return new ValueTask<RateLimitLease>(waiter.Task);
    }

    /// <summary>Takes a slot for <paramref name="resource"/> now if none of its own waits and both budgets have one open. Holds the lock.</summary>
    private bool TryTake(RequestEndpoint resource, long now)
    {
        var endpoint = Find(resource, now);
        if (endpoint.Waiters.Count > 0 || _key.Slot(now) is var keySlot && keySlot > now || endpoint.Pace.Slot(now) is var slot && slot > now)
        {
            return false;
        }
        // Nobody waited for these slots: they are taken now, and the next are spaced from now.
        Take(endpoint, now, now, now);
        return true;
    }

    private void Take(Endpoint endpoint, long now, long slot, long keySlot)
    {
        endpoint.Pace.Take(now, slot);
        _key.Take(now, keySlot);
        _granted++;
    }

    /// <summary>The endpoint's budget, made on first use; forgets those idle for a second, once a second. Holds the lock.</summary>
    private Endpoint Find(RequestEndpoint resource, long now)
    {
        if (now - _lastSweep >= _clock.TimestampFrequency)
        {
            _lastSweep = now;
            foreach (var (key, _) in _endpoints.Where(e => e.Value.Waiters.Count == 0 && e.Value.Pace.IsIdle(now)).ToList())
            {
                _endpoints.Remove(key);
            }
        }
        if (!_endpoints.TryGetValue(resource, out var endpoint))
        {
            var policy = new PacingPolicy(LimitOf(resource), now, _clock.TimestampFrequency, startShare: 1);
            _endpoints[resource] = endpoint = new Endpoint(new RequestPace(policy, now, _clock.TimestampFrequency));
        }
        return endpoint;
    }

    private double LimitOf(RequestEndpoint endpoint) => endpoint.IsFiles ? Math.Min(FilesRequestsPerSecond, _endpointLimit) : _endpointLimit;

    protected override void Dispose(bool disposing)
    {
        if (!disposing)
        {
            return;
        }
        Waiter[] waiting;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
            waiting = [.. _waiting.SelectMany(endpoint => endpoint.Waiters)];
            foreach (var endpoint in _waiting)
            {
                endpoint.Waiters.Clear();
            }
            _waiting.Clear();
        }
        _timer.Dispose();
        foreach (var waiter in waiting)
        {
            waiter.Complete(null, new ObjectDisposedException(nameof(StripeRateLimiter)));
        }
    }

    protected override ValueTask DisposeAsyncCore()
    {
        Dispose(true);
        return ValueTask.CompletedTask;
    }
}
