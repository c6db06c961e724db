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
        var path = StripeQuery.ListPath(StreamCatalog.Events, null, new KeyValuePair<string, string>("limit", "1"));
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

    private static async Task CheckStreamsAsync(StripeClient client, IReadOnlyList<StreamDescriptor> streams, ConfigProblems problems, CancellationToken cancellation)
    {
        // With no bindings, any authenticated call proves the key; a 403 there says nothing about it.
        var probes = streams.Count == 0
            ? [(StreamCatalog.Customers, (StreamDescriptor?)null)]
            : streams.Select(s => (Probe: ProbeFor(s), Stream: (StreamDescriptor?)s)).ToList();

        var byPath = probes.GroupBy(p => StripeQuery.ListPath(p.Item1, null, new KeyValuePair<string, string>("limit", "1")));
        var checks = byPath.Select(group =>
            (Path: group.Key, Streams: group.Select(g => g.Item2).OfType<StreamDescriptor>().ToList(), Response: client.ProbeAsync(group.Key, cancellation))).ToList();
        if (await FailedAsync(client, checks, problems, cancellation).ConfigureAwait(false))
        {
            return;
        }

        foreach (var (path, bound, probe) in checks)
        {
            var response = probe.Result;
            if (response.IsSuccess)
            {
                continue;
            }
            var error = response.Error;
            switch (response.Status)
            {
                case HttpStatusCode.Unauthorized:
                    problems.Add("config.client_secret", "Stripe rejected the secret key (401): check that it is a current secret or restricted key of this account and has not been rolled or revoked");
                    return;
                case HttpStatusCode.Forbidden when bound.Count == 0:
                    continue;
                case HttpStatusCode.Forbidden:
                    foreach (var stream in bound)
                    {
                        problems.Add($"stream {stream.Name}", $"the key lacks read access to {Resource(stream)} (Stripe answered 403 for {Endpoint(path)}); grant it Read in the restricted key's permissions or remove the binding");
                    }
                    break;
                default:
                    var names = bound.Count == 0 ? "the key check" : "stream " + string.Join(", ", bound.Select(s => s.Name));
                    problems.Add(names, $"Stripe answered {(int)response.Status} for {Endpoint(path)}{(error is null ? "" : ": " + error.Message)}");
                    break;
            }
        }
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
