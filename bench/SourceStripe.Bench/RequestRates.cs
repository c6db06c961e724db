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
}
