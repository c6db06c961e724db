using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using Polly;
using SourceStripe.Buffers;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;

namespace SourceStripe.Stripe;

/// <summary>
/// The one HTTP client every Stripe request goes through: connection reuse, timeouts, and the auth,
/// version and account headers on every request. The account is per request: the platform's own by
/// default, or the connected account a request is made for. Bodies are read into the buffers of a
/// <see cref="MemoryBudget"/> the client is handed (<see cref="ReadInto"/>), not one of its own.
/// </summary>
public sealed partial class StripeClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly ResiliencePipeline _retry;
    private readonly TimeSpan _attemptTimeout;
    private readonly TimeSpan _retryBudget;
    private readonly Uri _baseUrl;
    private readonly string _prefix;
    private readonly string _platformAccount;

    /// <summary>
    /// Where bodies are read to: the capture's budget once it is handed over; until then, for validate and
    /// discover, a small one that only their probes use.
    /// </summary>
    private MemoryBudget _memory = new(MemoryBudget.ChecksLimit);

    public StripeClient(EndpointConfig config, HttpMessageHandler? handler = null, TimeProvider? clock = null)
    {
        ServerClock = new ServerClock(clock ?? TimeProvider.System);
        _baseUrl = config.Advanced.BaseUrl;
        // Request paths start with '/': join without doubling it, keeping any path prefix of a proxy.
        _prefix = _baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _http = new HttpClient(handler ?? CreateHandler(), disposeHandler: true)
        {
            // Each attempt's time is bounded by the resilience pipeline instead.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Limiter = new StripeRateLimiter(config.Advanced.RequestsPerSecond(config.ClientSecret), config.Advanced.RequestsPerSecondPerEndpoint, clock);
        _retry = BuildRetry();
        _attemptTimeout = config.Advanced.AttemptTimeout;
        _retryBudget = config.Advanced.RequestTimeout;
        _platformAccount = config.AccountId;
        var headers = _http.DefaultRequestHeaders;
        headers.TryAddWithoutValidation("Authorization", config.ClientSecret.AuthorizationHeaderValue);
        headers.Add("Stripe-Version", StripeApiVersion.Pinned);
        headers.UserAgent.Add(new ProductInfoHeaderValue("source-stripe", Version));
        headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
    }

    public static string Version { get; } =
        typeof(StripeClient).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    private static SocketsHttpHandler CreateHandler() => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
        ConnectTimeout = TimeSpan.FromSeconds(15),
        MaxConnectionsPerServer = 256,
        AutomaticDecompression = DecompressionMethods.GZip | DecompressionMethods.Deflate,
        UseCookies = false,
        AllowAutoRedirect = false,
    };

    public Uri BaseUrl => _baseUrl;

    /// <summary>Stripe's time as its responses report it: capture windows are cut by it, not by this machine's clock.</summary>
    public ServerClock ServerClock { get; }

    /// <summary>The one limiter every capture request waits on: the key's budget and each endpoint's.</summary>
    public StripeRateLimiter Limiter { get; }

    /// <summary>
    /// Reads every body from now on into buffers of <paramref name="memory"/>, the capture's one budget, which
    /// its writer and scheduler share: call before the first request.
    /// </summary>
    public void ReadInto(MemoryBudget memory) => _memory = memory;

    /// <summary>
    /// Measures the clock skew with one cheap request before any capture window is cut. Any answer
    /// carries Stripe's Date, even an error; a failure leaves this machine's clock in use.
    /// </summary>
    public async Task CalibrateClockAsync(CancellationToken cancellation)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            timeout.CancelAfter(TimeSpan.FromSeconds(10));
            using var request = Get("/v1/events?limit=1", null);
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
            if (response.Headers.Date is { } serverTime)
            {
                ServerClock.Observe(serverTime);
            }
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            Log.Debug("Could not measure the clock skew to Stripe; using this machine's clock", ("error", e.Message));
        }
    }

    private const int ProbeConnectAttempts = 3;

    /// <summary>
    /// Validate's check of one endpoint: the same limiter, retries and timeouts as a capture's request, so
    /// a 429 or a 5xx is retried and a silent server ends in <see cref="StripeUnavailableException"/>; an
    /// answer that retrying cannot change (401, 403, 404, ...) is returned for the caller to explain. A
    /// server that gives no answer at all (refused, reset, name or TLS failure) is tried only
    /// <see cref="ProbeConnectAttempts"/> times: at validate, a person waiting on it, that is the URL, the
    /// network or a proxy far more often than a passing blip, and max_retry_seconds of retries would only
    /// delay saying so (<see cref="StripeUnreachableException"/>).
    /// </summary>
    public async Task<StripeResponse> ProbeAsync(string pathAndQuery, CancellationToken cancellation, string? account = null)
    {
        try
        {
            return await SendAsync(pathAndQuery, (buffer, length, _) =>
            {
                // The first object's id lets validate probe a child's endpoint under it.
                using var page = ListPage.Parse(buffer, length, null, null, _memory);
                return new StripeResponse(HttpStatusCode.OK, null) { FirstId = page.Items.Count > 0 ? page.Items[0].Id : null };
            }, account, cancellation, ProbeConnectAttempts).ConfigureAwait(false);
        }
        catch (StripeApiException answer) when (!answer.IsTransient)
        {
            return new StripeResponse(answer.Status, answer.Error);
        }
    }

    /// <summary>
    /// Reads one list page, retrying transient failures (connection errors, timeouts, 409/429/5xx,
    /// truncated or malformed bodies) with exponential backoff and jitter, honouring Stripe-Should-Retry
    /// and Retry-After, within the total time allowed for a request. <paramref name="account"/> is the
    /// connected account the request is made for; null for the platform's own. With
    /// <paramref name="waitForRoom"/> the caller holds no buffer of the memory budget (a unit's first page),
    /// so its body may wait for room there (<see cref="MemoryBudget.AdmitAsync"/>), and the page keeps the room
    /// admitted for its lines (<see cref="ListPage.LinesRoom"/>); one that holds a page while it asks for more
    /// (children, refetches) reads at once and finishes what it started.
    /// </summary>
    public Task<ListPage> ListAsync(string pathAndQuery, string? cursorField, string? embeddedField, CancellationToken cancellation, string? account = null, bool waitForRoom = false) =>
        SendAsync(pathAndQuery, (buffer, length, linesRoom) => ListPage.Parse(buffer, length, cursorField, embeddedField, _memory).Holding(linesRoom), account, cancellation, waitForRoom: waitForRoom);

    /// <summary>Reads one object (a retrieve call), with the same retries as a list page.</summary>
    public Task<FetchedObject> RetrieveAsync(string path, CancellationToken cancellation, string? account = null) =>
        SendAsync(path, (buffer, length, _) => FetchedObject.Parse(buffer, length, _memory), account, cancellation);

    /// <summary>A GET made for <paramref name="account"/> (the platform's own when null).</summary>
    private HttpRequestMessage Get(string pathAndQuery, string? account)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_prefix + pathAndQuery));
        request.Headers.Add("Stripe-Account", account ?? _platformAccount);
        return request;
    }

    public void Dispose()
    {
        _http.Dispose();
        Limiter.Dispose();
    }
}

/// <summary>A probe's answer: its status and, for an error, Stripe's error object (null when the body is not one).</summary>
public sealed record StripeResponse(HttpStatusCode Status, StripeError? Error)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    /// <summary>The id of the first object of a successful list probe, if it listed any.</summary>
    public string? FirstId { get; init; }
}
