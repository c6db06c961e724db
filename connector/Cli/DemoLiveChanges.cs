using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using SourceStripe.Logging;
using SourceStripe.Simulator;

namespace SourceStripe.Cli;

/// <summary>
/// <c>capture --demo --follow</c>: once every stream has caught up, the demo account changes a customer several times
/// a second, its Stripe pushes each change to the capture's listener as a signed webhook, and a line every few seconds
/// says how long changes took to become documents.
/// </summary>
public sealed class DemoLiveChanges(DemoServer demo)
{
    public const string Stream = "customers";
    private static readonly TimeSpan ChangeEvery = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ReportEvery = TimeSpan.FromSeconds(5);

    private readonly Lock _gate = new();
    private readonly Dictionary<string, long> _madeAt = new(StringComparer.Ordinal);
    private readonly List<double> _seconds = [];
    private int _made;

    /// <summary>The sink wrote a document: a changed customer's ends its change's wait.</summary>
    public void DocumentWritten(string stream, string id)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            if (stream == Stream && _madeAt.Remove(id, out var madeAt))
            {
                _seconds.Add(Stopwatch.GetElapsedTime(madeAt, now).TotalSeconds);
            }
        }
    }

    /// <summary>Changes customers from the moment <paramref name="run"/> has caught up until <paramref name="stop"/>.</summary>
    public async Task RunAsync(TerminalCapture run, CancellationToken stop)
    {
        try
        {
            while (!run.CaughtUp)
            {
                await Task.Delay(100, stop).ConfigureAwait(false);
            }
            var customers = demo.Account.Objects(Stream).Select(c => c.Id).ToList();
            Log.Line(string.Create(CultureInfo.InvariantCulture,
                $"Demo: caught up. From now on a customer changes {1 / ChangeEvery.TotalSeconds:F0} times a second, and the demo's Stripe pushes each change to the capture as a signed webhook (Ctrl+C to stop):"));
            using var ticks = new PeriodicTimer(ChangeEvery);
            var nextReport = Stopwatch.GetTimestamp() + (long)(ReportEvery.TotalSeconds * Stopwatch.Frequency);
            while (await ticks.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                string id;
                int change;
                lock (_gate)
                {
                    change = ++_made;
                    id = customers[change % customers.Count];
                    _madeAt[id] = Stopwatch.GetTimestamp();
                }
                demo.On(demo.AccountId).Update(Stream, id, c => c["metadata"] = new JsonObject { ["demo_change"] = change.ToString(CultureInfo.InvariantCulture) });
                if (Stopwatch.GetTimestamp() >= nextReport)
                {
                    Report();
                    nextReport += (long)(ReportEvery.TotalSeconds * Stopwatch.Frequency);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Says how many changes were made and captured, how many webhooks answered, and how long changes took.</summary>
    public void Report()
    {
        int made, captured;
        double p50, p99;
        lock (_gate)
        {
            if (_made == 0)
            {
                return;
            }
            made = _made;
            captured = _seconds.Count;
            var sorted = _seconds.Order().ToList();
            p50 = sorted.Count == 0 ? 0 : sorted[(int)Math.Ceiling(0.5 * sorted.Count) - 1];
            p99 = sorted.Count == 0 ? 0 : sorted[(int)Math.Ceiling(0.99 * sorted.Count) - 1];
        }
        var delivered = demo.WebhookAttempts.Snapshot().Count(a => a.Delivered);
        Log.Line(string.Create(CultureInfo.InvariantCulture,
            $"Live: {made:N0} changes made, {captured:N0} captured; {delivered:N0} webhooks delivered (signed, answered 200 once written); change to document p50 {p50 * 1000:F0} ms, p99 {p99 * 1000:F0} ms"));
    }
}
