using System.Globalization;
using System.Text;
using SourceStripe.Logging;

namespace SourceStripe.Cli;

/// <summary>
/// Progress redrawn in place on a terminal: a line for the whole capture (streams caught up, documents, docs/s)
/// and under it the busiest streams still backfilling. A line per stream (60 with --demo) would not fit a
/// 24-row terminal, and cursor movement cannot reach rows that have scrolled away; a few lines always fit.
/// Log lines are printed above the area, which is then drawn again below them.
/// </summary>
/// <param name="terminal">Stderr, a terminal that understands ANSI cursor movement.</param>
/// <param name="size">The terminal's size now: read at each report, so a resized terminal gets lines that fit.</param>
public sealed class LiveProgressDisplay(TextWriter terminal, Func<(int Columns, int Rows)> size) : ProgressDisplay, ILiveArea
{
    /// <summary>Streams listed under the summary line at most.</summary>
    public const int Busiest = 5;

    /// <summary>ANSI's Control Sequence Introducer, ESC [: <c>CSI n A</c> moves the cursor up n rows, <c>CSI J</c> erases to the end of the screen.</summary>
    private const string Csi = "\u001b[";

    private readonly Lock _gate = new();
    private string[] _lines = [];

    /// <summary>Rows the area occupies on screen; the cursor rests at the start of the row below them.</summary>
    private int _drawn;

    /// <summary>Twice a second: a redraw costs a few short lines, and the demo is over in seconds.</summary>
    public override TimeSpan Every => TimeSpan.FromMilliseconds(500);

    public override void Show(ProgressReport report)
    {
        var (columns, rows) = size();
        // Each line one column short of the width: a line that fills the last column wraps on some terminals
        // and not others, and a wrapped line would throw off the count of rows to move up.
        var width = columns > 1 ? columns - 1 : 79;
        string[] lines = [.. Lines(report, rows).Select(l => l.Length > width ? l[..width] : l)];
        lock (_gate)
        {
            _lines = lines;
            Draw(above: null);
        }
    }

    public void WriteAbove(string line)
    {
        lock (_gate)
        {
            Draw(line);
        }
    }

    /// <summary>Routes log lines above the area while it is shown; at the end erases it for the summary table.</summary>
    public override IDisposable Begin() => new Shown(this, Log.Above(this));

    /// <summary>
    /// Moves to the area's first row, erases it and everything below, then prints <paramref name="above"/> (when
    /// given) and the area's lines: one write, so the terminal never shows a half-drawn area.
    /// </summary>
    private void Draw(string? above)
    {
        var text = new StringBuilder("\r");
        if (_drawn > 0)
        {
            text.Append(Csi).Append(_drawn).Append('A');
        }
        text.Append(Csi).Append('J');
        if (above is not null)
        {
            text.Append(above).Append('\n');
        }
        foreach (var line in _lines)
        {
            text.Append(line).Append('\n');
        }
        _drawn = _lines.Length;
        terminal.Write(text.ToString());
        terminal.Flush();
    }

    private static List<string> Lines(ProgressReport report, int rows)
    {
        var streams = report.Streams;
        var caught = streams.Count(s => s.Stream.Caught);
        List<string> lines =
        [
            string.Create(CultureInfo.InvariantCulture,
                $"[{report.Clock}] {caught} of {streams.Count} streams caught up  {streams.Sum(s => s.Documents):N0} docs  {streams.Sum(s => s.Rate):N0} docs/s"),
        ];
        var behind = streams.Where(s => !s.Stream.Caught).OrderByDescending(s => s.Rate).ThenBy(s => s.Stream.Name, StringComparer.Ordinal).ToList();
        // Room for the summary, the streams and the "more" line, with the cursor's row to spare: the area must
        // never be taller than the screen, or its first rows scroll out of reach of the cursor.
        var room = Math.Clamp(rows - 3, 0, Busiest);
        if (room == 0 || behind.Count == 0)
        {
            return lines;
        }
        // Sized for every stream, not those shown: the columns stay put from one redraw to the next.
        var width = CaptureProgress.NameWidth(streams.Select(s => s.Stream));
        foreach (var (stream, documents, _, rate) in behind.Take(room))
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {stream.Name.PadRight(width)} {documents,9:N0} docs {rate,8:N0} docs/s  {stream.Backfill(withPosition: false)}"));
        }
        if (behind.Count > room)
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  and {behind.Count - room} more {(behind.Count - room == 1 ? "stream" : "streams")} to catch up"));
        }
        return lines;
    }

    /// <summary>Stops log lines coming through the area before erasing it: one after would draw it again.</summary>
    private sealed class Shown(LiveProgressDisplay display, IDisposable logAbove) : IDisposable
    {
        public void Dispose()
        {
            logAbove.Dispose();
            lock (display._gate)
            {
                display._lines = [];
                display.Draw(above: null);
            }
        }
    }
}
