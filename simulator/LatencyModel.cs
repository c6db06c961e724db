using SourceStripe.Simulator.Generation;

namespace SourceStripe.Simulator;

/// <summary>
/// Response latency like Stripe's: lognormal around <see cref="Median"/> (a long right tail), each request's delay
/// drawn from the seed and the request's sequence number, so the same run gets the same delays.
/// </summary>
internal sealed record LatencyModel(TimeSpan Median, double Sigma, int Seed)
{
    /// <summary>The delay of request number <paramref name="sequence"/>, or null when there is no latency.</summary>
    public TimeSpan? Delay(long sequence)
    {
        if (Median <= TimeSpan.Zero)
        {
            return null;
        }
        var rng = Rng.For(Seed, "latency", "", sequence);
        // Box-Muller: a standard normal from two uniforms in (0, 1].
        var u1 = 1.0 - rng.NextDouble();
        var u2 = rng.NextDouble();
        var z = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
        return TimeSpan.FromTicks((long)(Median.Ticks * Math.Exp(Sigma * z)));
    }
}
