using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using SourceStripe.Simulator.Generation;
using SourceStripe.Simulator.Server;
using SourceStripe.Simulator.Webhooks;

namespace SourceStripe.Simulator;

/// <summary>The answer to one request: status, body and response headers (Content-Length is the transport's). A JSON body
/// is compact here; the server puts it on the wire in its <see cref="WireFormat"/>.</summary>
public sealed record SimulatedResponse(int Status, byte[] Body, IReadOnlyList<KeyValuePair<string, string>> Headers);

/// <summary>
/// Stripe's read API over a simulated account, with no transport: authenticates like Stripe, checks the version and
/// account headers, routes, enforces a restricted key's permissions and answers lists and retrievals. Every server
/// (<see cref="LoopbackServer"/>, or a test calling it directly) answers through it.
/// Thread-safe: requests may be answered concurrently.
/// </summary>
public sealed partial class SimulatedStripeApi
{
    private readonly Router _router = new();
    private readonly SimulatorOptions _options;
    private long _requestCount;

    /// <summary>Generates the account the options describe (deterministic for a seed and a fixed clock).</summary>
    public SimulatedStripeApi(SimulatorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegative(options.ObjectsPerStream);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.EventVisibilityDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Latency, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(options.LatencySigma);
        _options = options;
        Account = AccountGenerator.Generate(options);
        Webhooks = new WebhookDispatcher(options.Webhooks, options.Seed, options.ClockOrSystem);
        Platform = new ServedAccount(Account, options, Webhooks);
        var range = options.CreatedRange(Account.Now);
        Connected = new ConnectedAccounts(options, Webhooks, range);
        if (Connected.Population is { } population)
        {
            Platform.Lists.Population = new PopulationListing(population, Connected, Platform.Mutations);
        }
        ConnectInitialAccounts(range);
        // The accounts connected before start announced it in the past: only what happens from now on is delivered.
        Webhooks.Accept();
    }

    public SimulatorAccount Account { get; }

    /// <summary>The platform: the account the key belongs to, answered when no other account is asked for.</summary>
    internal ServedAccount Platform { get; }

    internal ConnectedAccounts Connected { get; }

    /// <summary>Delivers the events created from now on to the registered destinations.</summary>
    internal WebhookDispatcher Webhooks { get; }

    public SimulatorOptions Options => _options;

    /// <summary>Once set, every request with the right key answers 401 "expired" (the key was rolled).</summary>
    internal bool Revoked { get; set; }

    /// <summary>Answers one request. <paramref name="header"/> returns a request header's value (repeated values
    /// comma-joined) or null; <paramref name="rawQuery"/> is the query string as sent, with or without its '?'.</summary>
    public SimulatedResponse Answer(string method, string path, string rawQuery, Func<string, string?> header) =>
        Answer(method, path, rawQuery, header, NextSequence());

    /// <summary>Numbers requests, as Stripe's request ids do; a host that answers some requests itself (faults)
    /// takes a number for those too, so ids stay unique.</summary>
    internal long NextSequence() => Interlocked.Increment(ref _requestCount);

    internal static string RequestId(long sequence) => "req_" + sequence.ToString("x14", CultureInfo.InvariantCulture);

    internal SimulatedResponse Answer(string method, string path, string rawQuery, Func<string, string?> header, long sequence)
    {
        ArgumentNullException.ThrowIfNull(header);
        var requestId = RequestId(sequence);
        try
        {
            return Respond(200, Route(method, path, rawQuery, header), requestId, header);
        }
        catch (StripeError error)
        {
            return Respond(error.Status, error.ToJson(requestId), requestId, header);
        }
    }

    /// <summary>A response with the headers Stripe sends on every answer.</summary>
    internal SimulatedResponse Respond(int status, byte[] body, string requestId, Func<string, string?> header) =>
        new(status, body,
        [
            new("Content-Type", "application/json"),
            new("Request-Id", requestId),
            new("Stripe-Version", header("Stripe-Version") ?? _options.ApiVersion),
            new("Cache-Control", "no-cache, no-store"),
            // The simulator's own clock, as Stripe's servers send theirs: clients can measure their skew.
            new("Date", Account.Now.ToString("R", CultureInfo.InvariantCulture)),
        ]);

    private byte[] Route(string method, string path, string rawQuery, Func<string, string?> header)
    {
        var key = Authenticate(header("Authorization") ?? "");
        if (header("Stripe-Version") is { } version && !VersionPattern().IsMatch(version))
        {
            throw StripeErrors.InvalidVersion(version);
        }
        var (served, connected) = Target(header("Stripe-Account"), key);
        var route = method == "GET" ? _router.Match(path, rawQuery) : null;
        if (route is null)
        {
            throw StripeErrors.UnrecognizedUrl(method, path);
        }
        if (connected is { Forbidden: true })
        {
            throw StripeErrors.MissingPermission(key, connected.Id, route.Resource.Object);
        }
        if (served.Options.MissingFeatures.Contains(route.Resource.Feature))
        {
            throw StripeErrors.FeatureMissing(route.Resource.Feature);
        }
        // One key, one restricted key's permissions, whichever account it reads.
        var forbidden = _options.ForbiddenStreams.Contains(route.Resource.Name)
            || (route.Resource.Parent is { } parent && _options.ForbiddenStreams.Contains(parent));
        if (forbidden)
        {
            throw StripeErrors.MissingPermission(key, served.Options.AccountId, route.Resource.Object);
        }
        var lists = served.Lists;
        return route.IsRetrieve ? lists.Retrieve(route, ListQuery.ParseRetrieve(rawQuery)) : lists.List(route, ListQuery.Parse(rawQuery, route.Allowed, route.Resource.ParentParam), path);
    }

    /// <summary>The key of a Bearer (or Basic, as <c>curl -u key:</c> sends it) Authorization header.</summary>
    private string Authenticate(string authorization)
    {
        string? key = null;
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            key = authorization[7..].Trim();
        }
        else if (authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
                key = decoded.Split(':')[0];
            }
            catch (FormatException)
            {
                key = null;
            }
        }
        if (string.IsNullOrEmpty(key))
        {
            throw StripeErrors.NoApiKey();
        }
        if (key != _options.SecretKey)
        {
            throw StripeErrors.InvalidApiKey(key);
        }
        return Revoked ? throw StripeErrors.ExpiredApiKey(key) : key;
    }

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")]
    private static partial Regex VersionPattern();
}
