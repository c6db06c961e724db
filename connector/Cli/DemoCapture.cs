using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using SourceStripe.Logging;
using SourceStripe.Simulator;
using SourceStripe.Simulator.Webhooks;
using SourceStripe.Streams;
using SourceStripe.Webhooks;

namespace SourceStripe.Cli;

/// <summary>
/// <c>capture --demo</c>: the binary serves a simulated Stripe account (the simulator library the tests use, fixed
/// seed) on 127.0.0.1 and captures it as it would a real one, then checks that every object arrived.
/// </summary>
public static class DemoCapture
{
    /// <summary>Loopback has no Stripe limit to respect: pace for speed, still through the limiter.</summary>
    private const int DemoRequestsPerSecond = 2000;

    /// <summary>
    /// Captures the demo account, with <paramref name="connectedAccounts"/> small connected accounts of its platform when
    /// above 0; with <paramref name="follow"/>, through the demo's webhooks as it changes, until Ctrl+C.
    /// </summary>
    public static async Task<int> RunAsync(TerminalCapture run, int connectedAccounts, bool follow, CancellationToken cancellation)
    {
        await using var demo = await DemoAccount.StartAsync(DemoAccount.DefaultObjectsPerStream, connectedAccounts, cancellation).ConfigureAwait(false);
        (string Secret, int Port)? webhooks = follow ? DemoWebhooks(demo, connectedAccounts > 0) : null;
        var expected = Expected(run.Streams, Counts(demo));
        var what = connectedAccounts == 0
            ? "a simulated Stripe account"
            : $"a simulated Stripe platform and its {connectedAccounts} connected accounts,";
        Log.Line(string.Create(CultureInfo.InvariantCulture,
            $"Demo: {what} of {expected.Sum(c => c.Value):N0} objects in {expected.Count} streams, served by this binary on {demo.BaseUrl} (no key, no network). Capturing it as Flow would:"));

        var live = webhooks is not null && run.Streams.Any(s => s.Name == DemoLiveChanges.Stream) ? new DemoLiveChanges(demo) : null;
        run.DocumentWritten = live is null ? null : live.DocumentWritten;
        var changing = live?.RunAsync(run, cancellation) ?? Task.CompletedTask;
        var code = await run.RunAsync(Config(demo, connectedAccounts > 0, webhooks), cancellation).ConfigureAwait(false);
        await changing.ConfigureAwait(false);
        live?.Report();
        if (code != 0)
        {
            return code;
        }
        var missing = expected.Where(c => run.DistinctIds(c.Key) != c.Value).ToList();
        foreach (var (stream, count) in missing)
        {
            Log.Error($"The demo account holds {count} objects of {stream} but the capture delivered {run.DistinctIds(stream)}");
        }
        if (missing.Count > 0)
        {
            return 1;
        }
        Log.Line(string.Create(CultureInfo.InvariantCulture,
            $"Every one of the account's {expected.Sum(c => c.Value):N0} objects was captured (documents beyond that are later versions from Stripe events)."));
        return 0;
    }

    /// <summary>
    /// The objects of each resource, over the platform and its connected accounts; a connected account is no
    /// platform (it lacks Connect), so the capture skips its Connect resources.
    /// </summary>
    private static List<(Resource Resource, int Count)> Counts(DemoServer demo) =>
        [.. demo.ObjectCounts().Select(c => (c.Resource, c.Count + demo.ConnectedAccountIds.Sum(id =>
            c.Resource.Feature == AccountFeature.Connect ? 0 : demo.AccountFor(id).Count(c.Resource.Name))))];

    /// <summary>
    /// Per bound stream, the objects the demo account holds: the simulator counts by its own resources, and a
    /// stream reads the resource whose list endpoint it calls (on an endpoint several resources share, the one its
    /// fixed <c>object</c> parameter selects).
    /// </summary>
    private static List<KeyValuePair<string, int>> Expected(IEnumerable<StreamDescriptor> streams, IReadOnlyList<(Resource Resource, int Count)> counts) =>
        [.. streams.Select(stream =>
        {
            var selector = stream.Query.FirstOrDefault(q => q.Key == "object").Value;
            // A parent's id in the query picks the parent's children on an endpoint that also lists them all.
            var byParent = stream.Parent is { } parent ? stream.Query.FirstOrDefault(q => q.Value == "{" + parent.Param + "}").Key : null;
            var (_, count) = counts.FirstOrDefault(c => SamePath(c.Resource.Path, stream.Path) && c.Resource.Selector == selector
                && c.Resource.ParentParam == byParent);
            return new KeyValuePair<string, int>(stream.Name, count);
        })];

    /// <summary>Whether two list paths name the same endpoint; <c>{…}</c> segments (a parent's id) match each other.</summary>
    private static bool SamePath(string a, string b)
    {
        var x = a.Split('/');
        var y = b.Split('/');
        return x.Length == y.Length && x.Zip(y).All(p => p.First == p.Second || (p.First.StartsWith('{') && p.Second.StartsWith('{')));
    }

    /// <summary>
    /// Registers the capture's listener (a free loopback port) as the demo's event destinations, the platform's and,
    /// with connected accounts, a Connect one, under a fresh secret that is never shown.
    /// </summary>
    private static (string Secret, int Port) DemoWebhooks(DemoServer demo, bool connectedAccounts)
    {
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        var port = LoopbackPort.Free();
        var url = new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/stripe");
        demo.AddWebhookDestination(new WebhookDestination { Url = url, Secrets = [secret] });
        if (connectedAccounts)
        {
            demo.AddWebhookDestination(new WebhookDestination { Url = url, Secrets = [secret], Connect = true });
        }
        Log.Line($"Demo: its Stripe sends webhooks to {url}, where the capture listens.");
        return (secret, port);
    }

    private static JsonElement Config(DemoServer demo, bool connectedAccounts, (string Secret, int Port)? webhooks)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("account_id", demo.AccountId);
            json.WriteString("client_secret", demo.SecretKey);
            json.WriteString("start_date", demo.StartDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteBoolean("capture_connected_accounts", connectedAccounts);
            if (webhooks is { } hooks)
            {
                json.WriteString("webhook_signing_secret", hooks.Secret);
            }
            json.WriteStartObject("advanced");
            if (webhooks is { } listen)
            {
                json.WriteString("webhook_address", "127.0.0.1:" + listen.Port.ToString(CultureInfo.InvariantCulture));
            }
            json.WriteString("base_url", demo.BaseUrl.ToString());
            json.WriteNumber("max_requests_per_second", DemoRequestsPerSecond);
            json.WriteNumber("max_requests_per_second_per_endpoint", DemoRequestsPerSecond);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }
}
