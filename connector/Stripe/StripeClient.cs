using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using Polly;
using Polly.Retry;
using Polly.Timeout;
using SourceStripe.Buffers;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Streams;

namespace SourceStripe.Stripe;

/// <summary>
/// The one HTTP client every Stripe request goes through: connection reuse, timeouts, and the auth,
/// version and account headers on every request. The account is per request: the platform's own by
/// default, or the connected account a request is made for.
/// </summary>
public sealed class StripeClient : IDisposable
{
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    private readonly HttpClient _http;
    private readonly ResiliencePipeline _retry;
    private readonly TimeSpan _attemptTimeout;
    private readonly TimeSpan _retryBudget;
    private readonly Uri _baseUrl;
    private readonly string _prefix;
    private readonly string _platformAccount;
    private readonly ConcurrentDictionary<string, int> _bodySizes = new(StringComparer.Ordinal);

    public StripeClient(EndpointConfig config, HttpMessageHandler? handler = null, TimeProvider? clock = null, BufferPool? buffers = null)
    {
        Buffers = buffers ?? new BufferPool();
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

    /// <summary>Where response bodies are read to, counted against the capture's bytes in flight.</summary>
    public BufferPool Buffers { get; }

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
            return await SendAsync(pathAndQuery, (buffer, length) =>
            {
                // The first object's id lets validate probe a child's endpoint under it.
                using var page = ListPage.Parse(buffer, length, null, null, Buffers);
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
    /// <paramref name="waitForRoom"/> the caller holds no buffer of <see cref="Buffers"/> (a unit's first
    /// page), so its body may wait for room there (<see cref="BufferPool.AdmitAsync"/>); one that holds a
    /// page while it asks for more (children, refetches) reads at once and finishes what it started.
    /// </summary>
    public Task<ListPage> ListAsync(string pathAndQuery, string? cursorField, string? embeddedField, CancellationToken cancellation, string? account = null, bool waitForRoom = false) =>
        SendAsync(pathAndQuery, (buffer, length) => ListPage.Parse(buffer, length, cursorField, embeddedField, Buffers), account, cancellation, waitForRoom: waitForRoom);

    /// <summary>Reads one object (a retrieve call), with the same retries as a list page.</summary>
    public Task<FetchedObject> RetrieveAsync(string path, CancellationToken cancellation, string? account = null) =>
        SendAsync(path, (buffer, length) => FetchedObject.Parse(buffer, length, Buffers), account, cancellation);

    /// <summary>
    /// One request through the retry pipeline; the body is parsed inside each attempt so a truncated or
    /// malformed answer is retried like any transient failure, and never half-used. Each attempt first
    /// waits for the limiter (the key's budget and its endpoint's), outside both its own timeout and the
    /// request's budget (<see cref="RequestBudget"/>); a 429 slows down what its reason names.
    /// </summary>
    private async Task<T> SendAsync<T>(string pathAndQuery, Func<byte[], int, T> parse, string? account, CancellationToken cancellation, int connectAttempts = int.MaxValue, bool waitForRoom = false)
    {
        var endpoint = RequestEndpoint.Of(account, pathAndQuery);
        using var budget = new RequestBudget(_retryBudget, cancellation);
        Exception? lastFailure = null;
        var unanswered = 0;
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                await budget.AcquireAsync(Limiter, endpoint).ConfigureAwait(false);
                using var attempt = new RequestBudget(_attemptTimeout, token);
                try
                {
                    var (buffer, length) = await GetBodyAsync(pathAndQuery, endpoint, attempt, waitForRoom ? budget : null).ConfigureAwait(false);
                    Limiter.Answered(attempt.Elapsed);
                    return parse(buffer, length);
                }
                catch (OperationCanceledException e) when (attempt.Spent)
                {
                    lastFailure = new TimeoutRejectedException($"no answer within {_attemptTimeout.TotalSeconds:0.#} s", _attemptTimeout, e);
                    throw lastFailure;
                }
                catch (Exception e) when (!token.IsCancellationRequested)
                {
                    if (e is StripeApiException { ThrottleScope: not ThrottleScope.None and var scope })
                    {
                        Limiter.OnThrottled(endpoint, scope);
                    }
                    lastFailure = e;
                    // HttpClient throws HttpRequestException only when no response came at all.
                    if (e is HttpRequestException && ++unanswered >= connectAttempts)
                    {
                        throw new StripeUnreachableException(e);
                    }
                    throw;
                }
            }, budget.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (budget.Spent)
        {
            throw new StripeUnavailableException(pathAndQuery, _retryBudget, lastFailure);
        }
    }

    /// <summary>
    /// GETs a path into a buffer of <see cref="Buffers"/>, decompressing as the bytes arrive; an error status
    /// becomes <see cref="StripeApiException"/>. A gzip'd answer declares no length, so the buffer is sized by
    /// the last answer from the same operation (<see cref="RequestEndpoint.OperationOf"/>), and grows only when a page is larger than the one before.
    /// With a <paramref name="request"/> budget, the body waits for room in <see cref="Buffers"/> once the headers are in,
    /// both clocks stopped: Stripe has answered, and the bytes wait in the socket until the capture can take them.
    /// It waits for room for two buffers of its size, the body and the lines it becomes; once read, the body is
    /// held, and its lines are made from it at once.
    /// </summary>
    private async Task<(byte[] Buffer, int Length)> GetBodyAsync(string pathAndQuery, RequestEndpoint endpoint, RequestBudget attempt, RequestBudget? request)
    {
        var cancellation = attempt.Token;
        using var message = Get(pathAndQuery, endpoint.Account);
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
        if (response.Headers.Date is { } serverTime)
        {
            ServerClock.Observe(serverTime);
        }
        var path = pathAndQuery.Split('?')[0];
        var sizeKey = endpoint.Operation;
        var declared = response.Content.Headers.ContentLength;
        var known = _bodySizes.TryGetValue(sizeKey, out var last);
        var expected = declared is > 0 and < MaxBodyBytes ? (int)declared.Value : last + 1;
        using var admission = request is null ? null : await AdmitAsync(known ? expected : Math.Max(expected, FirstPageGuess), attempt, request).ConfigureAwait(false);
        var buffer = Buffers.Rent(expected);
        var length = 0;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxBodyBytes)
                    {
                        throw new StripeResponseException($"the response to GET {path} is larger than {MaxBodyBytes / (1024 * 1024)} MiB");
                    }
                    var larger = Buffers.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    Buffers.Return(buffer);
                    buffer = larger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(length), cancellation).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
            if (declared is { } promised && promised != length)
            {
                throw new StripeResponseException($"the response to GET {path} ended after {length} of {promised} bytes");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new StripeApiException(response.StatusCode, StripeError.Parse(buffer.AsSpan(0, length)), pathAndQuery, ShouldRetryHeader(response), RetryAfter(response),
                    response.Headers.TryGetValues("Stripe-Rate-Limited-Reason", out var reasons) ? reasons.FirstOrDefault() : null);
            }
            _bodySizes[sizeKey] = length;
            return (buffer, length);
        }
        catch
        {
            Buffers.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// The room a page of a kind never read before waits for: its size is unknown, and the first pages of
    /// every range of a backfill start together (a page of 100 of Stripe's larger objects, indented, takes
    /// about this much).
    /// </summary>
    private const int FirstPageGuess = 512 * 1024;

    private async ValueTask<BufferPool.Admission> AdmitAsync(int expected, RequestBudget attempt, RequestBudget request)
    {
        using (attempt.Pause())
        using (request.Pause())
        {
            return await Buffers.AdmitAsync(expected, 2, request.Caller).ConfigureAwait(false);
        }
    }

    /// <summary>A GET made for <paramref name="account"/> (the platform's own when null).</summary>
    private HttpRequestMessage Get(string pathAndQuery, string? account)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_prefix + pathAndQuery));
        request.Headers.Add("Stripe-Account", account ?? _platformAccount);
        return request;
    }

    private static bool? ShouldRetryHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("Stripe-Should-Retry", out var values) && values.FirstOrDefault() is { } value
            ? string.Equals(value, "true", StringComparison.OrdinalIgnoreCase)
            : null;

    private static TimeSpan? RetryAfter(HttpResponseMessage response) =>
        response.Headers.RetryAfter?.Delta
        ?? (response.Headers.RetryAfter?.Date is { } date ? date - DateTimeOffset.UtcNow : null);

    /// <summary>Retries without end: the request's <see cref="RequestBudget"/> stops them.</summary>
    private static ResiliencePipeline BuildRetry() => new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome.Exception)),
            MaxRetryAttempts = int.MaxValue,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
            Delay = TimeSpan.FromMilliseconds(500),
            MaxDelay = TimeSpan.FromSeconds(30),
            DelayGenerator = args => ValueTask.FromResult(
                args.Outcome.Exception is StripeApiException { RetryAfter: { } after } && after > TimeSpan.Zero ? (TimeSpan?)after : null),
            OnRetry = args =>
            {
                Log.Warn("Retrying a Stripe request", ("attempt", args.AttemptNumber + 1), ("delay", args.RetryDelay), ("reason", args.Outcome.Exception is { } e ? StripeUnavailableException.WithInner(e) : null));
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    private static bool IsTransient(Exception? exception) => exception switch
    {
        StripeApiException api => api.IsTransient,
        StripeResponseException or HttpRequestException or IOException or TimeoutRejectedException => true,
        _ => false,
    };

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
