using System.Globalization;
using System.Text.Json;
using SourceStripe.Logging;
using SourceStripe.Simulator;

namespace SourceStripe.Cli;

/// <summary>
/// <c>capture --demo</c>: the binary serves a simulated Stripe account (the test simulator's core, fixed
/// seed) on 127.0.0.1 and captures it as it would a real one, then checks that every object arrived.
/// </summary>
public static class DemoCapture
{
    /// <summary>Loopback has no Stripe limit to respect: pace for speed, still through the limiter.</summary>
    private const int DemoRequestsPerSecond = 2000;

    public static async Task<int> RunAsync(TerminalCapture run, CancellationToken cancellation)
    {
        await using var demo = await DemoAccount.StartAsync(ct: cancellation).ConfigureAwait(false);
        var expected = demo.ObjectCounts().Where(c => run.Streams.Any(s => s.Name == c.Key)).ToList();
        Log.Line(string.Create(CultureInfo.InvariantCulture,
            $"Demo: a simulated Stripe account of {expected.Sum(c => c.Value):N0} objects in {expected.Count} streams, served by this binary on {demo.BaseUrl} (no key, no network). Capturing it as Flow would:"));

        var code = await run.RunAsync(Config(demo), cancellation).ConfigureAwait(false);
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

    private static JsonElement Config(DemoServer demo)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("account_id", demo.AccountId);
            json.WriteString("client_secret", demo.SecretKey);
            json.WriteString("start_date", demo.StartDate.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture));
            json.WriteStartObject("advanced");
            json.WriteString("base_url", demo.BaseUrl.ToString());
            json.WriteNumber("max_requests_per_second", DemoRequestsPerSecond);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        using var document = JsonDocument.Parse(buffer.ToArray());
        return document.RootElement.Clone();
    }
}
