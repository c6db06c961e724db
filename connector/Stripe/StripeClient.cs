using System.Net;
using System.Net.Http.Headers;
using System.Reflection;
using SourceStripe.Config;
using SourceStripe.Streams;

namespace SourceStripe.Stripe;

/// <summary>
/// The one HTTP client every Stripe request goes through: connection reuse, timeouts, and the auth,
/// version and account headers on every request.
/// </summary>
public sealed class StripeClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _baseUrl;
    private readonly string _prefix;

    public StripeClient(EndpointConfig config, HttpMessageHandler? handler = null)
    {
        _baseUrl = config.Advanced.BaseUrl;
        // Request paths start with '/': join without doubling it, keeping any path prefix of a proxy.
        _prefix = _baseUrl.GetLeftPart(UriPartial.Path).TrimEnd('/');
        _http = new HttpClient(handler ?? CreateHandler(), disposeHandler: true)
        {
            Timeout = TimeSpan.FromSeconds(60),
        };
        var headers = _http.DefaultRequestHeaders;
        headers.TryAddWithoutValidation("Authorization", config.ClientSecret.AuthorizationHeaderValue);
        headers.Add("Stripe-Version", StripeApiVersion.Pinned);
        headers.Add("Stripe-Account", config.AccountId);
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

    /// <summary>GETs <paramref name="pathAndQuery"/> and buffers the body: for small answers only.</summary>
    public async Task<StripeResponse> GetAsync(string pathAndQuery, CancellationToken cancellation)
    {
        using var response = await _http.GetAsync(new Uri(_prefix + pathAndQuery), HttpCompletionOption.ResponseContentRead, cancellation).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
        return new StripeResponse(response.StatusCode, body);
    }

    public void Dispose() => _http.Dispose();
}

public sealed record StripeResponse(HttpStatusCode Status, byte[] Body)
{
    public bool IsSuccess => (int)Status is >= 200 and < 300;

    public StripeError? Error => IsSuccess ? null : StripeError.Parse(Body);
}
