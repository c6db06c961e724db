using System.Globalization;
using System.Text;
using SourceStripe.Logging;

namespace SourceStripe.Cli;

/// <summary>
/// Progress of a terminal capture on stderr: every few seconds a line for each stream that moved
/// (documents, pages, rate, how far its backfill has come), and a summary table at the end.
/// </summary>
public sealed class CaptureProgress(IReadOnlyList<StreamProgress> streams, TimeProvider clock, TimeSpan every)
{
    private readonly DateTimeOffset _started = clock.GetUtcNow();
    private DateTimeOffset _last = clock.GetUtcNow();

    private int NameWidth => Math.Max(8, streams.Max(s => s.Name.Length));

    public async Task ReportUntilAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await Task.Delay(every, clock, stop).ConfigureAwait(false);
                Report();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>One line for each stream that captured documents since the last report.</summary>
    public void Report()
    {
        var now = clock.GetUtcNow();
        var seconds = Math.Max(0.001, (now - _last).TotalSeconds);
        _last = now;
        var elapsed = (now - _started).ToString(@"mm\:ss", CultureInfo.InvariantCulture);
        foreach (var stream in streams)
        {
            var documents = stream.Documents;
            if (documents == stream.Reported)
            {
                continue;
            }
            var rate = (documents - stream.Reported) / seconds;
            stream.Reported = documents;
            Log.Line(string.Create(CultureInfo.InvariantCulture,
                $"[{elapsed}] {stream.Name.PadRight(NameWidth)} {documents,10:N0} docs {stream.Pages,7:N0} pages {rate,9:N0} docs/s  {Backfill(stream)}"));
        }
    }

    /// <summary>The table printed when the capture ends.</summary>
    public string Summary()
    {
        var seconds = Math.Max(0.001, (clock.GetUtcNow() - _started).TotalSeconds);
        var width = NameWidth;
        var table = new StringBuilder();
        table.AppendLine(CultureInfo.InvariantCulture, $"{"stream".PadRight(width)} {"documents",10} {"pages",7} {"docs/s",9}  backfill");
        foreach (var stream in streams)
        {
            table.AppendLine(CultureInfo.InvariantCulture, $"{stream.Name.PadRight(width)} {stream.Documents,10:N0} {stream.Pages,7:N0} {stream.Documents / seconds,9:N0}  {Backfill(stream)}");
        }
        var documents = streams.Sum(s => s.Documents);
        var caught = streams.Count(s => s.Caught);
        table.Append(CultureInfo.InvariantCulture, $"{"total".PadRight(width)} {documents,10:N0} {streams.Sum(s => s.Pages),7:N0} {documents / seconds,9:N0}  {caught} of {streams.Count} streams caught up in {seconds:F1} s");
        return table.ToString();
    }

    private static string Backfill(StreamProgress stream) => stream switch
    {
        { Caught: true } => "caught up",
        { BackfillShare: { } share, Position: { } at } => string.Create(CultureInfo.InvariantCulture, $"backfill {share * 100:F0}%, at {at:yyyy-MM-dd HH:mm}"),
        _ => "starting",
    };
}
