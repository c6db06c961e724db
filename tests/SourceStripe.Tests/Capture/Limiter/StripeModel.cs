using System.Threading.RateLimiting;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Limiter;

/// <summary>
/// A capture against Stripe, modelled on the fake clock a millisecond at a time so that its figures depend
/// on nothing but the seed: <c>units</c> units each ask the limiter for a slot for their endpoint
/// (<see cref="EndpointOf"/>: unit → endpoint), send, and ask again once the answer came (lognormal latency
/// around 250 ms, sigma 0.5, as the simulator's). Stripe counts requests as they arrive, over a sliding second,
/// the key's (<c>limit</c>) and each endpoint's (<see cref="EndpointLimit"/>), and answers 429 over either,
/// naming the limiter, without counting those. Requests reach it 0 to 2 ms after they leave, and now and then
/// (every 2 s on average) Stripe's side pauses for 5 to 30 ms and what was sent meanwhile arrives together, the
/// way a garbage collection or a busy machine bunches them. A 429 is retried after a backoff of 250 to 750 ms.
/// </summary>
internal sealed class StripeModel(int limit, int units, int seed)
{
    /// <summary>Stripe's limit for each endpoint.</summary>
    public int EndpointLimit { get; init; } = 25;

    /// <summary>The limiter's own per-endpoint limit (Stripe's, unless a test asks for a client that ignores it).</summary>
    public double LimiterEndpointLimit { get; init; } = 25;

    /// <summary>Which endpoint each unit reads: by default spread evenly over eight, so that the key's limit binds.</summary>
    public Func<int, RequestEndpoint> EndpointOf { get; init; } = unit => Endpoints.List(Endpoints.Resources[unit % 8]);

    /// <summary>Accepted requests that arrived from <see cref="SteadyFrom"/> on, per endpoint.</summary>
    public Dictionary<RequestEndpoint, int> AcceptedSteadyBy { get; } = [];

    /// <summary>429s that named an endpoint's limiter.</summary>
    public int EndpointThrottled { get; private set; }

    public int Accepted { get; private set; }

    public int Throttled { get; private set; }

    /// <summary>Accepted requests that arrived from <see cref="SteadyFrom"/> on.</summary>
    public int AcceptedSteady { get; private set; }

    public TimeSpan SteadyFrom { get; init; } = TimeSpan.FromSeconds(15);

    public StripeRateLimiter? Limiter { get; private set; }

    public void Run(TimeSpan length)
    {
        var clock = new LimiterClock();
        using var limiter = new StripeRateLimiter(limit, LimiterEndpointLimit, clock);
        Limiter = limiter;
        var random = new Random(seed);
        var waiting = new Task<RateLimitLease>?[units];
        var ready = new long[units];
        var arrivals = new PriorityQueue<(int Unit, long Sent), long>();
        var answers = new PriorityQueue<(int Unit, ThrottleScope? Throttled), long>();
        var window = new Queue<long>();
        var endpointWindows = new Dictionary<RequestEndpoint, Queue<long>>();
        var pausedUntil = 0L;
        for (long ms = 0; ms < (long)length.TotalMilliseconds; ms++)
        {
            if (ms >= pausedUntil && random.NextDouble() < 1.0 / 2000)
            {
                pausedUntil = ms + random.Next(5, 31);
            }
            for (var unit = 0; unit < units; unit++)
            {
                if (waiting[unit] is null && ready[unit] <= ms)
                {
                    waiting[unit] = limiter.AcquireAsync(EndpointOf(unit)).AsTask();
                }
                if (waiting[unit] is { IsCompleted: true })
                {
                    waiting[unit] = null;
                    ready[unit] = long.MaxValue;
                    var arrives = Math.Max(pausedUntil, ms) + random.Next(0, 3);
                    arrivals.Enqueue((unit, ms), arrives);
                }
            }
            while (arrivals.TryPeek(out var request, out var at) && at <= ms)
            {
                arrivals.Dequeue();
                var endpoint = EndpointOf(request.Unit);
                if (!endpointWindows.TryGetValue(endpoint, out var endpointWindow))
                {
                    endpointWindows[endpoint] = endpointWindow = new Queue<long>();
                }
                Expire(window, at);
                Expire(endpointWindow, at);
                ThrottleScope? throttled = window.Count >= limit ? ThrottleScope.Key : endpointWindow.Count >= EndpointLimit ? ThrottleScope.Endpoint : null;
                if (throttled is not null)
                {
                    Throttled++;
                    EndpointThrottled += throttled == ThrottleScope.Endpoint ? 1 : 0;
                }
                else
                {
                    window.Enqueue(at);
                    endpointWindow.Enqueue(at);
                    Accepted++;
                    if (at >= SteadyFrom.TotalMilliseconds)
                    {
                        AcceptedSteady++;
                        AcceptedSteadyBy[endpoint] = AcceptedSteadyBy.GetValueOrDefault(endpoint) + 1;
                    }
                }
                answers.Enqueue((request.Unit, throttled), at + Latency(random));
            }
            while (answers.TryPeek(out var answer, out var at) && at <= ms)
            {
                answers.Dequeue();
                if (answer.Throttled is { } scope)
                {
                    limiter.OnThrottled(EndpointOf(answer.Unit), scope);
                }
                ready[answer.Unit] = ms + (answer.Throttled is null ? 0 : random.Next(250, 751));
            }
            clock.Tick();
        }
    }

    private static void Expire(Queue<long> window, long now)
    {
        while (window.Count > 0 && now - window.Peek() >= 1000)
        {
            window.Dequeue();
        }
    }

    private static long Latency(Random random)
    {
        // Box-Muller: a standard normal from two uniforms.
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return (long)(250 * Math.Exp(0.5 * normal));
    }
}
