using System.Net;
using SourceStripe.Config;
using SourceStripe.Streams;

namespace SourceStripe.Stripe;

/// <summary>
/// Validate's key check: one <c>limit=1</c> list call per bound stream's endpoint (a child is checked
/// through its parent's list), so a wrong key and a restricted key missing a resource are both caught
/// before the capture starts. The calls go through the client's limiter, retries and timeouts like a
/// capture's (<see cref="StripeClient.ProbeAsync"/>): a 429 or a 5xx does not fail validate, and a server that
/// never answers ends in one problem within max_retry_seconds.
/// </summary>
public static class AccessCheck
{
    /// <summary>
    /// Adds a problem for each stream the key cannot read; stops at the first 401. When
    /// <paramref name="needsEvents"/>, incremental bindings take changes from /v1/events: that is checked too.
    /// </summary>
    public static async Task CheckAsync(StripeClient client, IReadOnlyList<StreamDescriptor> streams, bool needsEvents, ConfigProblems problems, CancellationToken cancellation)
    {
        await CheckStreamsAsync(client, streams, problems, cancellation).ConfigureAwait(false);
        if (!needsEvents || problems.Any || streams.Contains(StreamCatalog.Events))
        {
            return;
        }
        var path = StripeQuery.ListPath(StreamCatalog.Events, null, Limit1);
        var probe = client.ProbeAsync(path, cancellation);
        if (await FailedAsync(client, [(path, [StreamCatalog.Events], probe)], problems, cancellation).ConfigureAwait(false))
        {
            return;
        }
        if (probe.Result.Status == HttpStatusCode.Forbidden)
        {
            problems.Add("events", $"the key lacks read access to events (Stripe answered 403 for {Endpoint(path)}), which incremental bindings read to capture updates and deletes; grant it Read on Events, or use full_refresh for those bindings");
        }
    }

    /// <summary>
    /// With connected accounts on, the platform must be able to list them: one <c>limit=1</c> call to
    /// <c>GET /v1/accounts</c>, whose refusal (not a Connect platform, or a key without Connect's Read)
    /// names the option.
    /// </summary>
    public static async Task CheckConnectedAccountsAsync(StripeClient client, ConfigProblems problems, CancellationToken cancellation)
    {
        var path = "/v1/accounts?limit=1";
        var probe = client.ProbeAsync(path, cancellation);
        if (await FailedAsync(client, [(path, [], probe)], problems, cancellation).ConfigureAwait(false) || probe.Result.IsSuccess)
        {
            return;
        }
        var response = probe.Result;
        problems.Add("config.capture_connected_accounts", response.Status == HttpStatusCode.Unauthorized
            ? "Stripe rejected the secret key (401) when listing the connected accounts: check that it is a current secret or restricted key of the platform"
            : $"is true, but Stripe refused to list the platform's connected accounts ({(int)response.Status} for GET /v1/accounts{(response.Error is null ? "" : ": " + response.Error.Message)}); "
              + "the account must be a Connect platform and the key needs Read access to Connect's accounts, otherwise set capture_connected_accounts to false");
    }

    private static async Task CheckStreamsAsync(StripeClient client, IReadOnlyList<StreamDescriptor> streams, ConfigProblems problems, CancellationToken cancellation)
    {
        // With no bindings, any authenticated call proves the key; a 403 there says nothing about it.
        var probes = streams.Count == 0
            ? [(StreamCatalog.Customers, (StreamDescriptor?)null)]
            : streams.Select(s => (Probe: ProbeFor(s), Stream: (StreamDescriptor?)s)).ToList();
        var byPath = probes.GroupBy(p => StripeQuery.ListPath(p.Item1, null, Limit1));
        var checks = byPath.Select(group =>
            (Path: group.Key, Streams: group.Select(g => g.Item2).OfType<StreamDescriptor>().ToList(), Response: client.ProbeAsync(group.Key, cancellation))).ToList();
        if (await FailedAsync(client, checks, problems, cancellation).ConfigureAwait(false) || Report(checks, problems, parentsOnly: true))
        {
            return;
        }

        // A child's own endpoint, for the first parent its parent's list showed: a restricted key may grant the
        // parent's resource and not the child's (customers and not their payment methods).
        var children = checks
            .Where(c => c.Response.Result is { IsSuccess: true, FirstId: not null })
            .SelectMany(c => c.Streams.Where(s => s.Parent is not null)
                .Select(s => (Path: StripeQuery.ListPath(s, c.Response.Result.FirstId, Limit1), Stream: s)))
            .GroupBy(c => c.Path)
            .Select(g => (Path: g.Key, Streams: g.Select(c => c.Stream).ToList(), Response: client.ProbeAsync(g.Key, cancellation)))
            .ToList();
        if (!await FailedAsync(client, children, problems, cancellation).ConfigureAwait(false))
        {
            Report(children, problems, parentsOnly: false);
        }
    }

    private static readonly KeyValuePair<string, string> Limit1 = new("limit", "1");

    /// <summary>Adds a problem for each stream a failed probe concerns; true after a 401, which ends the check.</summary>
    private static bool Report(IEnumerable<(string Path, List<StreamDescriptor> Streams, Task<StripeResponse> Response)> checks, ConfigProblems problems, bool parentsOnly)
    {
        foreach (var (path, bound, probe) in checks)
        {
            var response = probe.Result;
            if (response.IsSuccess || (response.Status == HttpStatusCode.Forbidden && bound.Count == 0))
            {
                continue;
            }
            if (response.Status == HttpStatusCode.Unauthorized)
            {
                problems.Add("config.client_secret", "Stripe rejected the secret key (401): check that it is a current secret or restricted key of this account and has not been rolled or revoked");
                return true;
            }
            if (bound.Count == 0)
            {
                problems.Add("the key check", $"Stripe answered {(int)response.Status} for {Endpoint(path)}{(response.Error is null ? "" : ": " + response.Error.Message)}");
                continue;
            }
            foreach (var stream in bound)
            {
                problems.Add($"stream {stream.Name}", Problem(stream, parentsOnly ? Resource(stream) : stream.Name, path, response));
            }
        }
        return false;
    }

    /// <summary>Why a stream cannot be read, from Stripe's answer to the probe of <paramref name="resource"/>.</summary>
    private static string Problem(StreamDescriptor stream, string resource, string path, StripeResponse response)
    {
        var message = response.Error?.Message;
        var answered = $"Stripe answered {(int)response.Status} for {Endpoint(path)}";
        if (response.Status == HttpStatusCode.Forbidden && Permission(message) is { } permission)
        {
            return $"the key lacks read access to {resource} ({answered}); grant the restricted key the {permission} permission (Read) or remove the binding";
        }
        if (response.Status == HttpStatusCode.Forbidden && (stream.Needs ?? ProbeFor(stream).Needs) is null)
        {
            return $"the key lacks read access to {resource} ({answered}); grant it Read in the restricted key's permissions or remove the binding";
        }
        if ((stream.Needs ?? ProbeFor(stream).Needs) is { } needs && (int)response.Status is >= 400 and < 500)
        {
            return $"needs {needs.Description}, which Stripe says this account does not have ({answered}: {message}); remove the binding, or bind it once the account has it";
        }
        return $"{answered}{(message is null ? "" : ": " + message)}";
    }

    /// <summary>The permission Stripe names in a restricted key's 403 ("Having the 'rak_charge_read' permission would allow …").</summary>
    private static string? Permission(string? message)
    {
        var start = message?.IndexOf("'rak_", StringComparison.Ordinal) ?? -1;
        var end = start < 0 ? -1 : message!.IndexOf('\'', start + 1);
        return end < 0 ? null : message![start..(end + 1)];
    }

    /// <summary>
    /// Waits for every probe; when some got no answer, adds one problem for the URL (whatever the number of
    /// endpoints: the cause is the server, not the streams) and says so. Other failures are thrown as they are.
    /// </summary>
    private static async Task<bool> FailedAsync(StripeClient client, IReadOnlyList<(string Path, List<StreamDescriptor> Streams, Task<StripeResponse> Response)> checks,
        ConfigProblems problems, CancellationToken cancellation)
    {
        try
        {
            await Task.WhenAll(checks.Select(c => c.Response)).ConfigureAwait(false);
            return false;
        }
        catch (Exception) when (!cancellation.IsCancellationRequested)
        {
            // Each probe's own exception is read below: WhenAll rethrows only the first.
        }
        var failures = checks.Where(c => c.Response.IsFaulted).Select(c => (c.Streams, Error: c.Response.Exception!.InnerException!)).ToList();
        if (failures.Select(f => f.Error).OfType<StripeUnreachableException>().FirstOrDefault() is { } unreachable)
        {
            problems.Add("config.advanced.base_url", $"could not reach Stripe at {client.BaseUrl}: {unreachable.Message}");
            return true;
        }
        var unanswered = failures.Where(f => f.Error is StripeUnavailableException).ToList();
        if (unanswered.Count == 0)
        {
            // Not a failure to reach Stripe: a bug or a cancellation, thrown as it is.
            await Task.WhenAll(checks.Select(c => c.Response)).ConfigureAwait(false);
        }
        var streams = unanswered.SelectMany(f => f.Streams).Select(s => s.Name).ToList();
        var what = streams.Count == 0 ? "the key check" : (streams.Count == 1 ? "stream " : "streams ") + string.Join(", ", streams);
        problems.Add("config.advanced.base_url",
            $"Stripe at {client.BaseUrl} gave no usable answer for {what}: {unanswered[0].Error.Message}; check the URL, or raise config.advanced.request_timeout_seconds or max_retry_seconds");
        return true;
    }

    /// <summary>The stream whose list endpoint proves access: a child's parent, since a child's needs a parent id.</summary>
    private static StreamDescriptor ProbeFor(StreamDescriptor stream) =>
        stream.Parent is { } parent ? StreamCatalog.Find(parent.Stream) ?? stream : stream;

    private static string Resource(StreamDescriptor stream) =>
        stream.Parent is { } parent ? $"{parent.Stream} (needed to list {stream.Name})" : stream.Name;

    private static string Endpoint(string pathAndQuery) => "GET " + pathAndQuery.Split('?')[0];
}
