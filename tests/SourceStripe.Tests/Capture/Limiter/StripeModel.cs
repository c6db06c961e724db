using System.Threading.RateLimiting;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture.Limiter;

/// <summary>
/// A capture against Stripe, modelled on the fake clock a millisecond at a time so that its figures depend
/// on nothing but the seed: <c>units</c> units each ask the limiter for a slot, send, and ask again once the
/// answer came (lognormal latency around 250 ms, sigma 0.5, as the simulator's). Stripe counts requests as
/// they arrive, over a sliding second, and answers 429 over its limit, without counting those. Requests
/// reach it 0 to 2 ms after they leave, and now and then (every 2 s on average) Stripe's side pauses for 5
/// to 30 ms and what was sent meanwhile arrives together, the way a garbage collection or a busy machine
/// bunches them. A 429 is retried after a backoff of 250 to 750 ms.
/// </summary>
internal sealed class StripeModel(int limit, int units, int seed)
{
    public int Accepted { get; private set; }

    public int Throttled { get; private set; }

    /// <summary>Accepted requests that arrived from <see cref="SteadyFrom"/> on.</summary>
    public int AcceptedSteady { get; private set; }

    public TimeSpan SteadyFrom { get; init; } = TimeSpan.FromSeconds(15);

    public AdaptiveRateLimiter? Limiter { get; private set; }

    public void Run(TimeSpan length)
    {
        var clock = new LimiterClock();
        using var limiter = new AdaptiveRateLimiter(limit, clock);
        Limiter = limiter;
        var random = new Random(seed);
        var waiting = new Task<RateLimitLease>?[units];
        var ready = new long[units];
        var arrivals = new PriorityQueue<(int Unit, long Sent), long>();
        var answers = new PriorityQueue<(int Unit, bool Throttled), long>();
        var window = new Queue<long>();
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
                    waiting[unit] = limiter.AcquireAsync().AsTask();
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
                while (window.Count > 0 && at - window.Peek() >= 1000)
                {
                    window.Dequeue();
                }
                var throttled = window.Count >= limit;
                if (throttled)
                {
                    Throttled++;
                }
                else
                {
                    window.Enqueue(at);
                    Accepted++;
                    AcceptedSteady += at >= SteadyFrom.TotalMilliseconds ? 1 : 0;
                }
                answers.Enqueue((request.Unit, throttled), at + Latency(random));
            }
            while (answers.TryPeek(out var answer, out var at) && at <= ms)
            {
                answers.Dequeue();
                if (answer.Throttled)
                {
                    limiter.OnThrottled();
                }
                ready[answer.Unit] = ms + (answer.Throttled ? random.Next(250, 751) : 0);
            }
            clock.Tick();
        }
    }

    private static long Latency(Random random)
    {
        // Box-Muller: a standard normal from two uniforms.
        var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        return (long)(250 * Math.Exp(0.5 * normal));
    }
}
