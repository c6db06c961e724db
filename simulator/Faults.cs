using System.Text;

namespace SourceStripe.Simulator;

public enum FaultKind
{
    /// <summary>An error status with Stripe's JSON error body (429 rate_limit / lock_timeout, 5xx api_error).</summary>
    JsonError,
    /// <summary>An error status with an HTML body, as a gateway in front of Stripe answers 502/503/504.</summary>
    HtmlError,
    /// <summary>The connection is closed without an answer.</summary>
    DropConnection,
    /// <summary>A 200 whose body stops halfway (Content-Length promises more).</summary>
    TruncatedBody,
    /// <summary>The normal answer, after <see cref="Fault.Delay"/>.</summary>
    Slow,
    /// <summary>A complete 200 whose JSON is cut short (Content-Length matches the cut body).</summary>
    MalformedJson,
}

/// <summary>
/// A fault the next <see cref="Times"/> matching requests get instead of (or before) their normal answer.
/// Faults are served before authentication, as a gateway or Stripe's edge would.
/// </summary>
public sealed record Fault(FaultKind Kind, int Status = 500)
{
    /// <summary>Only requests whose path starts with this (e.g. "/v1/charges"); null: any request.</summary>
    public string? PathPrefix { get; init; }

    /// <summary>How many matching requests get the fault.</summary>
    public int Times { get; init; } = 1;

    /// <summary>For <see cref="FaultKind.Slow"/>.</summary>
    public TimeSpan Delay { get; init; }

    /// <summary>The <c>Stripe-Should-Retry</c> header, when set.</summary>
    public bool? ShouldRetry { get; init; }

    /// <summary>The <c>Retry-After</c> header (whole seconds), when set.</summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>The error <c>code</c> of a JSON error (default: <c>rate_limit</c> for 429, none otherwise).</summary>
    public string? Code { get; init; }

    /// <summary>The <c>Stripe-Rate-Limited-Reason</c> header of a 429 (<see cref="RateLimitReasons"/>), when set.</summary>
    public string? Reason { get; init; }

    /// <summary>A 429 <c>rate_limit</c> from the limiter <paramref name="reason"/> names; null: a 429 without the header,
    /// which a client cannot tell from a global one.</summary>
    public static Fault RateLimited(int times = 1, string? reason = RateLimitReasons.GlobalRate) =>
        new(FaultKind.JsonError, 429) { Times = times, Reason = reason };

    public static Fault LockTimeout(int times = 1) => new(FaultKind.JsonError, 429) { Times = times, Code = "lock_timeout" };

    public static Fault ServerError(int status = 500, int times = 1) => new(FaultKind.JsonError, status) { Times = times };

    public static Fault GatewayHtml(int status = 502, int times = 1) => new(FaultKind.HtmlError, status) { Times = times };

    public static Fault Drop(int times = 1) => new(FaultKind.DropConnection) { Times = times };

    public static Fault Truncate(int times = 1) => new(FaultKind.TruncatedBody, 200) { Times = times };

    public static Fault Slow(TimeSpan delay, int times = 1) => new(FaultKind.Slow, 200) { Times = times, Delay = delay };

    public static Fault Malformed(int times = 1) => new(FaultKind.MalformedJson, 200) { Times = times };

    /// <summary>One of each kind a connector must survive, for <see cref="StripeSimulator.InjectRandomFaults"/>.</summary>
    public static IReadOnlyList<Fault> EveryKind(TimeSpan slowerThanTimeout) =>
    [
        RateLimited(),
        RateLimited() with { RetryAfter = TimeSpan.FromSeconds(1) },
        RateLimited(reason: RateLimitReasons.EndpointRate),
        RateLimited(reason: null),
        LockTimeout(),
        ServerError(500) with { ShouldRetry = true },
        GatewayHtml(502),
        GatewayHtml(503),
        GatewayHtml(504),
        Drop(),
        Truncate(),
        Malformed(),
        Slow(slowerThanTimeout),
    ];

    internal byte[] Body(string requestId)
    {
        if (Kind == FaultKind.HtmlError)
        {
            return Encoding.UTF8.GetBytes(
                $"<html>\r\n<head><title>{Status} Bad Gateway</title></head>\r\n<body>\r\n<center><h1>{Status} Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n");
        }
        var error = Status == 429
            ? new StripeError(429, "invalid_request_error", Code == "lock_timeout"
                ? "This object cannot be accessed right now because another API request or Stripe process is currently accessing it."
                : "Request rate limit exceeded. Learn more about rate limits here https://stripe.com/docs/rate-limits.", Code ?? "rate_limit")
            : new StripeError(Status, "api_error", "An unknown error occurred", Code);
        return error.ToJson(requestId);
    }
}

/// <summary>The queue of injected faults and the random ones.</summary>
internal sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<(Fault Fault, int Left)> _faults = [];
    private double _rate;
    private IReadOnlyList<Fault> _randomKinds = [];
    private Random _random = new(1);
    private int _randomFaults;

    /// <summary>How many requests got a random fault so far.</summary>
    public int RandomFaults
    {
        get { lock (_gate) { return _randomFaults; } }
    }

    /// <summary>From now on each request gets, with probability <paramref name="rate"/>, one of <paramref name="kinds"/>.</summary>
    public void Random(double rate, IReadOnlyList<Fault> kinds, int seed)
    {
        lock (_gate)
        {
            _rate = rate;
            _randomKinds = kinds;
            _random = new Random(seed);
        }
    }

    public void Add(Fault fault)
    {
        lock (_gate)
        {
            _faults.Add((fault, fault.Times));
        }
    }

    public void Clear()
    {
        lock (_gate)
        {
            _faults.Clear();
            _rate = 0;
        }
    }

    /// <summary>The fault this request gets, if any (consuming one of its uses).</summary>
    public Fault? Next(string path)
    {
        lock (_gate)
        {
            for (var i = 0; i < _faults.Count; i++)
            {
                var (fault, left) = _faults[i];
                if (fault.PathPrefix is null || path.StartsWith(fault.PathPrefix, StringComparison.Ordinal))
                {
                    if (left <= 1)
                    {
                        _faults.RemoveAt(i);
                    }
                    else
                    {
                        _faults[i] = (fault, left - 1);
                    }
                    return fault;
                }
            }
            if (_rate > 0 && _randomKinds.Count > 0 && _random.NextDouble() < _rate)
            {
                _randomFaults++;
                return _randomKinds[_random.Next(_randomKinds.Count)];
            }
            return null;
        }
    }
}
