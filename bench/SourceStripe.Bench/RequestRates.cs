using SourceStripe.Simulator;

namespace SourceStripe.Bench;

public static class RequestRates
{
    /// <summary>The limiter starts below its aim and climbs: the rate is measured once it has had this long to get there.</summary>
    public static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(15);

    /// <summary>Requests the simulator accepted (not 429) per second, from <see cref="WarmUp"/> after the first request to the last; NaN for a shorter run.</summary>
    public static double Steady(IReadOnlyList<RecordedRequest> requests)
    {
        if (requests.Count == 0)
        {
            return double.NaN;
        }
        var from = requests.Min(r => r.At) + WarmUp;
        var last = requests.Max(r => r.At);
        return last > from ? requests.Count(r => r.Status != 429 && r.At >= from) / (last - from).TotalSeconds : double.NaN;
    }

    /// <summary>
    /// What Stripe's two limits let through each whole second of a run, against what was accepted: the ceiling of a
    /// second is min(<paramref name="keyLimit"/>, <paramref name="endpointLimit"/> × endpoints that still have work),
    /// an endpoint (one operation for one account, as the simulator names it) having work from its first request to
    /// its last. Seconds from <paramref name="warmUp"/> after the first request to the last whole second.
    /// </summary>
    public static CeilingSeconds AgainstCeiling(IReadOnlyList<RecordedRequest> requests, int keyLimit, int endpointLimit, TimeSpan warmUp)
    {
        if (requests.Count == 0)
        {
            return new CeilingSeconds([], [], []);
        }
        var first = requests.Min(r => r.At);
        long SecondOf(RecordedRequest r) => (long)(r.At - first).TotalSeconds;
        var spans = requests.GroupBy(Endpoint).Select(g => (First: g.Min(SecondOf), Last: g.Max(SecondOf))).ToList();
        var end = requests.Max(SecondOf);
        var from = (long)warmUp.TotalSeconds;
        var accepted = new double[Math.Max(0, end - from)];
        var ceiling = new double[accepted.Length];
        foreach (var r in requests.Where(r => r.Status != 429))
        {
            var second = SecondOf(r) - from;
            if (second >= 0 && second < accepted.Length)
            {
                accepted[second]++;
            }
        }
        for (var i = 0; i < ceiling.Length; i++)
        {
            var second = i + from;
            ceiling[i] = Math.Min(keyLimit, endpointLimit * spans.Count(s => s.First <= second && s.Last >= second));
        }
        return new CeilingSeconds(accepted, ceiling, [.. requests.Where(r => r.Status != 429).GroupBy(Endpoint).Select(g => g.Key)]);
    }

    /// <summary>The endpoint a request counts against: the account it was made for and its operation.</summary>
    public static string Endpoint(RecordedRequest request) => $"{request.StripeAccount} {request.Endpoint}";

    /// <summary>Accepted requests of <paramref name="endpoint"/> in each whole second of its last <paramref name="seconds"/> before its last request.</summary>
    public static double[] Tail(IReadOnlyList<RecordedRequest> requests, string endpoint, int seconds)
    {
        var own = requests.Where(r => r.Status != 429 && Endpoint(r) == endpoint).Select(r => r.At).ToList();
        if (own.Count == 0)
        {
            return [];
        }
        var last = own.Max();
        // Whole seconds that end at the endpoint's last request.
        return [.. Enumerable.Range(1, seconds).Reverse().Select(k => (double)own.Count(at => at > last - TimeSpan.FromSeconds(k) && at <= last - TimeSpan.FromSeconds(k - 1)))];
    }
}

/// <summary>A run's whole seconds: requests accepted and Stripe's ceiling in each.</summary>
public sealed record CeilingSeconds(double[] Accepted, double[] Ceiling, IReadOnlyList<string> Endpoints)
{
    /// <summary>Accepted ÷ ceiling over every second; NaN for a run too short to have any.</summary>
    public double Ratio => Ceiling.Sum() is > 0 and var sum ? Accepted.Sum() / sum : double.NaN;

    /// <summary>The same over the seconds whose ceiling is the key's whole limit (four or more endpoints with work).</summary>
    public double RatioAtKeyLimit(int keyLimit)
    {
        var full = Enumerable.Range(0, Ceiling.Length).Where(i => Ceiling[i] >= keyLimit).ToList();
        return full.Count == 0 ? double.NaN : full.Sum(i => Accepted[i]) / full.Sum(i => Ceiling[i]);
    }
}
