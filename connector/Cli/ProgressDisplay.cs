using System.Globalization;
using SourceStripe.Logging;

namespace SourceStripe.Cli;

/// <summary>One progress report: how long the capture has run and, per bound stream, what it captured since the last report.</summary>
public sealed record ProgressReport(TimeSpan Elapsed, IReadOnlyList<StreamRate> Streams)
{
    /// <summary>The elapsed time as the progress lines print it.</summary>
    public string Clock => Elapsed.ToString(@"mm\:ss", CultureInfo.InvariantCulture);
}

/// <param name="Stream">The stream.</param>
/// <param name="Documents">Its documents at the report (read once, so the line and its rate agree).</param>
/// <param name="Moved">Documents since the last report.</param>
/// <param name="Rate">Documents a second since the last report.</param>
public readonly record struct StreamRate(StreamProgress Stream, long Documents, long Moved, double Rate);

/// <summary>
/// How a capture's progress reaches stderr between its start and its summary table. A person at a terminal gets
/// a few lines redrawn in place (<see cref="LiveProgressDisplay"/>); whatever reads stderr as a file (Flow, CI,
/// <c>2&gt; file</c>) gets <see cref="LineProgressDisplay"/>'s lines, which only ever append.
/// </summary>
public abstract class ProgressDisplay
{
    /// <summary>How long between reports.</summary>
    public abstract TimeSpan Every { get; }

    public abstract void Show(ProgressReport report);

    /// <summary>Called as reporting starts; disposing the result ends it, leaving stderr ready for the summary.</summary>
    public virtual IDisposable Begin() => NoDisplay.Instance;

    /// <summary>
    /// The display for this process's stderr: redrawn in place when stderr is a terminal that can move its cursor,
    /// else a line per stream that moved.
    /// </summary>
    /// <param name="linesEvery">How long between the lines.</param>
    /// <param name="documentsOnStdout">Whether documents go to stdout (<c>--output -</c>), which may be the same terminal.</param>
    public static ProgressDisplay ForStderr(TimeSpan linesEvery, bool documentsOnStdout) =>
        CanRedraw(Console.IsErrorRedirected, Environment.GetEnvironmentVariable("TERM"), documentsOnStdout && !Console.IsOutputRedirected)
            ? new LiveProgressDisplay(Console.Error, TerminalSize)
            : new LineProgressDisplay(Log.Line, linesEvery);

    /// <summary>
    /// Whether progress may be redrawn in place: stderr is a terminal, one that understands cursor movement (a dumb
    /// terminal, or none named in TERM, would print the escape sequences as text), and documents are not printed on
    /// the terminal too (the redraw would overwrite them).
    /// </summary>
    public static bool CanRedraw(bool stderrRedirected, string? term, bool documentsOnTerminal) =>
        !stderrRedirected && !documentsOnTerminal && !string.IsNullOrEmpty(term) && term != "dumb";

    /// <summary>The terminal's size; a terminal that cannot tell is taken as the classic 80×24.</summary>
    private static (int Columns, int Rows) TerminalSize()
    {
        try
        {
            return (Console.WindowWidth, Console.WindowHeight);
        }
        catch (Exception e) when (e is IOException or PlatformNotSupportedException)
        {
            return (80, 24);
        }
    }

    private sealed class NoDisplay : IDisposable
    {
        public static readonly NoDisplay Instance = new();

        public void Dispose()
        {
        }
    }
}

/// <summary>Progress for a reader of a file or pipe: every few seconds a line for each stream that moved.</summary>
/// <param name="writeLine">Where lines go: the log, so they keep their order with its warnings.</param>
/// <param name="every">How long between reports.</param>
public sealed class LineProgressDisplay(Action<string> writeLine, TimeSpan every) : ProgressDisplay
{
    public override TimeSpan Every => every;

    public override void Show(ProgressReport report)
    {
        var width = CaptureProgress.NameWidth(report.Streams.Select(s => s.Stream));
        foreach (var (stream, documents, moved, rate) in report.Streams)
        {
            if (moved != 0)
            {
                writeLine(string.Create(CultureInfo.InvariantCulture,
                    $"[{report.Clock}] {stream.Name.PadRight(width)} {documents,10:N0} docs {stream.Pages,7:N0} pages {rate,9:N0} docs/s  {stream.Backfill(withPosition: true)}"));
            }
        }
    }
}
