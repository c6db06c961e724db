using System.Text.RegularExpressions;

namespace SourceStripe.Tests.Docs;

/// <summary>
/// The README's performance summary condenses docs/performance.md's table: a row per scenario of bench/README.md,
/// in the record's order, and every figure and target it states is one the record states for that scenario.
/// </summary>
public sealed partial class PerformanceSummaryTests
{
    private static readonly List<string[]> Summary = MarkedText.TableRows(MarkedText.Read("README.md"), "performance-summary");
    private static readonly List<string[]> Record = MarkedText.TableRows(MarkedText.Read("docs/performance.md"), "performance-table");

    [Fact]
    public void Summary_has_a_row_for_each_scenario_in_the_records_order()
    {
        var scenarios = MarkedText.Read("bench/README.md").Split('\n')
            .Select(l => Scenario().Match(l)).Where(m => m.Success).Select(m => m.Groups[1].Value).Order().ToList();
        var recorded = Record.Select(r => Scenario().Match("| " + r[0])).Where(m => m.Success).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(scenarios, recorded.Order());
        Assert.Equal(recorded, Summary.Select(r => Scenario().Match("| " + r[0]).Groups[1].Value));
    }

    [Fact]
    public void Every_figure_of_the_summary_is_in_the_record()
    {
        foreach (var row in Summary)
        {
            var scenario = row[0][..row[0].IndexOf(')', StringComparison.Ordinal)];
            var recorded = string.Join(" | ", RowsOf(scenario).SelectMany(r => r.Skip(1)));
            foreach (var cell in row.Skip(2))
            {
                foreach (Match number in Number().Matches(cell))
                {
                    Assert.True(Regex.IsMatch(recorded, $@"(?<![\d.,]){Regex.Escape(number.Value)}(?![\d]|[.,]\d)"),
                        $"the README's summary says {number.Value} for {scenario}), which docs/performance.md's table does not");
                }
            }
        }
    }

    /// <summary>A scenario's rows of the record: its own, and the rows after it whose first cell is empty.</summary>
    private static IEnumerable<string[]> RowsOf(string scenario) =>
        Record.SkipWhile(r => !r[0].StartsWith(scenario + ")", StringComparison.Ordinal))
            .Select((r, i) => (r, i))
            .TakeWhile(x => x.i == 0 || x.r[0].Length == 0)
            .Select(x => x.r);

    [GeneratedRegex(@"^\| \(([a-z])\)")]
    private static partial Regex Scenario();

    [GeneratedRegex(@"\d+(?:[.,]\d+)*")]
    private static partial Regex Number();
}
