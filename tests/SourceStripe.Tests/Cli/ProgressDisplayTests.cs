using Microsoft.Extensions.Time.Testing;
using SourceStripe.Cli;
using SourceStripe.Logging;
using SourceStripe.State;

namespace SourceStripe.Tests.Cli;

/// <summary>A terminal capture's progress: redrawn in place on a terminal, a line per stream that moved anywhere else.</summary>
public sealed class ProgressDisplayTests
{
    private const string Esc = "\u001b";

    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.Zero));

    /// <summary>A stream's state with one range pending, read newest first down to <paramref name="reached"/> of 0..1000 (as the sink reads it back).</summary>
    private static AccountState[] Backfilling(long reached) =>
        [new() { Pending = new() { ["0"] = new RangeState { Gte = 0, Lt = 1000, AfterCreated = reached } } }];

    private static AccountState[] CaughtUp => [new() { Cursor = 1000 }];

    private static StreamProgress Stream(string name, params (int Documents, AccountState[] State)[] commits)
    {
        var stream = new StreamProgress(name);
        foreach (var (documents, state) in commits)
        {
            stream.Committed(documents, state);
        }
        return stream;
    }

    /// <summary>Each write the live display made: it writes one whole draw at a time, each starting with a carriage return.</summary>
    private static List<string> Draws(StringWriter terminal) => [.. terminal.ToString().Split('\r', StringSplitOptions.RemoveEmptyEntries)];

    [Fact]
    public void Piped_progress_is_a_line_per_stream_that_moved_and_appends_only()
    {
        var charges = Stream("charges", (100, Backfilling(1000)), (100, Backfilling(500)));
        var customers = Stream("customers", (240, CaughtUp));
        var invoices = Stream("invoices");
        var lines = new List<string>();
        var progress = new CaptureProgress([charges, customers, invoices], _clock, new LineProgressDisplay(lines.Add, TimeSpan.FromSeconds(5)));

        _clock.Advance(TimeSpan.FromSeconds(5));
        progress.Report();
        Assert.Equal(
        [
            "[00:05] charges          200 docs       2 pages        40 docs/s  backfill 50%, at 1970-01-01 00:08",
            "[00:05] customers        240 docs       1 pages        48 docs/s  caught up",
        ], lines);

        // Only what moved since, at its rate since: nothing of the streams that stood still.
        lines.Clear();
        charges.Committed(50, Backfilling(250));
        _clock.Advance(TimeSpan.FromSeconds(5));
        progress.Report();
        Assert.Equal(["[00:10] charges          250 docs       3 pages        10 docs/s  backfill 75%, at 1970-01-01 00:04"], lines);
        Assert.All(lines, l => Assert.DoesNotContain(Esc, l, StringComparison.Ordinal));
    }

    [Fact]
    public void In_a_terminal_each_report_moves_up_over_the_last_one_and_redraws_it()
    {
        var terminal = new StringWriter();
        var charges = Stream("charges", (0, Backfilling(1000)), (100, Backfilling(500)));
        var progress = new CaptureProgress([charges, Stream("customers", (240, CaughtUp)), Stream("invoices")], _clock, new LiveProgressDisplay(terminal, () => (80, 24)));

        _clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report();
        charges.Committed(300, Backfilling(250));
        _clock.Advance(TimeSpan.FromSeconds(2));
        progress.Report();

        var draws = Draws(terminal);
        Assert.Equal(2, draws.Count);
        // The first has nothing above it to move over; the second moves up the first's three rows.
        Assert.Equal(
            $"{Esc}[J[00:01] 1 of 3 streams caught up  340 docs  340 docs/s\n" +
            "  charges         100 docs      100 docs/s  backfill 50%\n" +
            "  invoices          0 docs        0 docs/s  starting\n", draws[0]);
        Assert.Equal(
            $"{Esc}[3A{Esc}[J[00:03] 1 of 3 streams caught up  640 docs  150 docs/s\n" +
            "  charges         400 docs      150 docs/s  backfill 75%\n" +
            "  invoices          0 docs        0 docs/s  starting\n", draws[1]);
    }

    [Fact]
    public void Sixty_streams_on_an_80_by_24_terminal_redraw_a_few_lines_that_fit_never_one_per_stream()
    {
        var terminal = new StringWriter();
        var streams = Enumerable.Range(0, 60).Select(i => Stream($"stream_with_a_long_name_{i:D2}")).ToList();
        var progress = new CaptureProgress(streams, _clock, new LiveProgressDisplay(terminal, () => (80, 24)));
        for (var report = 1; report <= 10; report++)
        {
            foreach (var (stream, i) in streams.Select((s, i) => (s, i)))
            {
                stream.Committed(i * report, report * 6 > i ? CaughtUp : Backfilling(1000 - (report * 50)));
            }
            _clock.Advance(TimeSpan.FromMilliseconds(500));
            progress.Report();
        }

        var draws = Draws(terminal);
        Assert.Equal(10, draws.Count);
        var previous = 0;
        foreach (var draw in draws)
        {
            // The cursor moves up over exactly what was drawn before, erases it, and draws a summary, the five
            // busiest and "and N more".
            var erase = previous == 0 ? $"{Esc}[J" : $"{Esc}[{previous}A{Esc}[J";
            Assert.StartsWith(erase, draw);
            var lines = draw[erase.Length..].Split('\n')[..^1];
            Assert.InRange(lines.Length, 1, 1 + LiveProgressDisplay.Busiest + 1);
            Assert.All(lines, l => Assert.True(l.Length < 80 && !l.Contains(Esc, StringComparison.Ordinal), $"not one plain row of the terminal: {l}"));
            previous = lines.Length;
        }
        Assert.Equal(7, draws[0].Split('\n').Length - 1);
        Assert.Contains("and 49 more streams to catch up", draws[0]);
        Assert.Contains("[00:05] 60 of 60 streams caught up", draws[^1]);
        // The busiest first: the stream with the most documents since the last report heads the list.
        Assert.Contains("\n  stream_with_a_long_name_59", draws[0]);
    }

    [Fact]
    public void A_short_or_narrow_terminal_gets_an_area_that_fits_it()
    {
        var terminal = new StringWriter();
        var streams = Enumerable.Range(0, 10).Select(i => Stream($"stream_{i}", (i + 1, Backfilling(500)))).ToList();
        var progress = new CaptureProgress(streams, _clock, new LiveProgressDisplay(terminal, () => (30, 5)));
        _clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report();

        var lines = Draws(terminal).Single()[$"{Esc}[J".Length..].Split('\n')[..^1];
        // Four rows of five, the cursor's row to spare: none scrolls out of the cursor's reach.
        Assert.Equal(4, lines.Length);
        Assert.All(lines, l => Assert.True(l.Length <= 29, l));
    }

    [Fact]
    public void A_log_line_meanwhile_is_printed_whole_above_the_area_which_is_then_drawn_again()
    {
        var terminal = new StringWriter();
        var display = new LiveProgressDisplay(terminal, () => (80, 24));
        var progress = new CaptureProgress([Stream("charges", (100, Backfilling(500))), Stream("customers")], _clock, display);
        _clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report();
        var area = Draws(terminal)[0][$"{Esc}[J".Length..];

        var warning = "warn: Stripe answered 500 Internal Server Error; retrying in 2s (stream=charges, attempt=1)";
        display.WriteAbove(warning);

        var draws = Draws(terminal);
        Assert.Equal(2, draws.Count);
        // Erased from the area's first row down, the line where the area was, the area again beneath it.
        Assert.Equal($"{Esc}[3A{Esc}[J{warning}\n{area}", draws[1]);

        // The next report moves up over the area only: the log line stays on screen.
        _clock.Advance(TimeSpan.FromSeconds(1));
        progress.Report();
        Assert.StartsWith($"{Esc}[3A{Esc}[J[00:02]", Draws(terminal)[2]);
    }

    [Fact]
    public void While_shown_the_log_prints_through_the_area_and_at_the_end_the_area_is_erased_for_the_summary()
    {
        var terminal = new StringWriter();
        var display = new LiveProgressDisplay(terminal, () => (80, 24));
        var progress = new CaptureProgress([Stream("charges", (100, Backfilling(500)))], _clock, display);
        var line = $"warn: a line from the log {Guid.NewGuid()}";
        using (display.Begin())
        {
            _clock.Advance(TimeSpan.FromSeconds(1));
            progress.Report();
            Log.Line(line);
        }

        // Other tests may log meanwhile, through the area too: what matters is where this line and the end land.
        var output = terminal.ToString();
        Assert.Contains($"{Esc}[2A{Esc}[J{line}\n[00:01] 0 of 1 streams caught up", output);
        Assert.EndsWith($"\r{Esc}[2A{Esc}[J", output);
    }

    [Theory]
    [InlineData(false, "xterm-256color", false, true)]
    [InlineData(true, "xterm-256color", false, false)]
    [InlineData(false, "dumb", false, false)]
    [InlineData(false, null, false, false)]
    [InlineData(false, "", false, false)]
    [InlineData(false, "xterm-256color", true, false)]
    public void Progress_is_redrawn_only_on_a_terminal_that_moves_its_cursor_with_no_documents_printed_on_it(
        bool stderrRedirected, string? term, bool documentsOnTerminal, bool redraws) =>
        Assert.Equal(redraws, ProgressDisplay.CanRedraw(stderrRedirected, term, documentsOnTerminal));
}
