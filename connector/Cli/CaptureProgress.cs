using System.Globalization;
using System.Text;

namespace SourceStripe.Cli;

/// <summary>
/// Progress of a terminal capture on stderr: a report every so often (documents, rate and how far each backfill
/// has come, shown by <paramref name="display"/>), and a summary table at the end.
/// </summary>
public sealed class CaptureProgress(IReadOnlyList<StreamProgress> streams, TimeProvider clock, ProgressDisplay display)
{
    private readonly DateTimeOffset _started = clock.GetUtcNow();
    private DateTimeOffset _last = clock.GetUtcNow();

    /// <summary>The width of the stream name column: the longest name.</summary>
    public static int NameWidth(IEnumerable<StreamProgress> streams) => streams.Select(s => s.Name.Length).Append(8).Max();

    public async Task ReportUntilAsync(CancellationToken stop)
    {
        using var shown = display.Begin();
        try
        {
            while (true)
            {
                await Task.Delay(display.Every, clock, stop).ConfigureAwait(false);
                Report();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Shows what each stream captured since the last report.</summary>
    public void Report()
    {
        var now = clock.GetUtcNow();
        var seconds = Math.Max(0.001, (now - _last).TotalSeconds);
        _last = now;
        var rates = new StreamRate[streams.Count];
        for (var i = 0; i < rates.Length; i++)
        {
            var stream = streams[i];
            var documents = stream.Documents;
            rates[i] = new StreamRate(stream, documents, documents - stream.Reported, (documents - stream.Reported) / seconds);
            stream.Reported = documents;
        }
        display.Show(new ProgressReport(now - _started, rates));
    }

    /// <summary>The table printed when the capture ends.</summary>
    public string Summary()
    {
        var seconds = Math.Max(0.001, (clock.GetUtcNow() - _started).TotalSeconds);
        var width = NameWidth(streams);
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{"stream".PadRight(width)} {"documents",10} {"pages",7} {"docs/s",9}  backfill");
        foreach (var stream in streams)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"{stream.Name.PadRight(width)} {stream.Documents,10:N0} {stream.Pages,7:N0} {stream.Documents / seconds,9:N0}  {stream.Backfill(withPosition: true)}");
        }
        var documents = streams.Sum(s => s.Documents);
        var caught = streams.Count(s => s.Caught);
        table.Append(CultureInfo.InvariantCulture, $"{"total".PadRight(width)} {documents,10:N0} {streams.Sum(s => s.Pages),7:N0} {documents / seconds,9:N0}  {caught} of {streams.Count} streams caught up in {seconds:F1} s");
        return table.ToString();
    }
}
