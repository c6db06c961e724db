using System.Text.RegularExpressions;
using SourceStripe.Tests.EndToEnd;

namespace SourceStripe.Tests.Docs;

/// <summary>
/// The README and docs/ link to each other's sections: every relative link names a file that exists and, after
/// <c>#</c>, a heading of that file, so a section that moves or is renamed cannot leave a dead link behind.
/// </summary>
public sealed partial class DocsLinkTests
{
    public static TheoryData<string> Documents() =>
    [
        "README.md",
        .. Directory.GetFiles(Path.Combine(PublishedConnector.RepositoryRoot, "docs"), "*.md").Select(f => "docs/" + Path.GetFileName(f)).Order(),
        "bench/README.md",
        "simulator/README.md",
    ];

    [Theory]
    [MemberData(nameof(Documents))]
    public void Every_relative_link_names_a_file_and_a_heading_that_exist(string document)
    {
        var text = MarkedText.Read(document);
        var folder = Path.GetDirectoryName(document)!;
        var dead = new List<string>();
        foreach (var target in LinkTargets(text))
        {
            var hash = target.IndexOf('#', StringComparison.Ordinal);
            var file = hash < 0 ? target : target[..hash];
            var anchor = hash < 0 ? null : target[(hash + 1)..];
            var path = file.Length == 0 ? document : Path.GetRelativePath(PublishedConnector.RepositoryRoot, Path.GetFullPath(Path.Combine(PublishedConnector.RepositoryRoot, folder, file)));
            var full = Path.Combine(PublishedConnector.RepositoryRoot, path);
            if (!File.Exists(full) && !Directory.Exists(full))
            {
                dead.Add($"{target}: no file {path}");
            }
            else if (anchor is not null && !Anchors(File.ReadAllText(full)).Contains(anchor))
            {
                dead.Add($"{target}: {path} has no heading whose anchor is #{anchor}");
            }
        }
        Assert.True(dead.Count == 0, $"{document} has dead links:\n" + string.Join("\n", dead));
    }

    [Fact]
    public void Anchors_are_made_as_GitHub_makes_them()
    {
        Assert.Equal(
            ["stripes-two-limits", "b-where-the-time-goes", "updates-and-deletes-stripe-events", "pending-the-ranges-still-to-read", "notes", "notes-1"],
            Anchors("### Stripe's two limits\n### (b): where the time goes\n## Updates and deletes: Stripe events\n### `pending`: the ranges still to read\n## Notes\n## Notes\n"));
    }

    /// <summary>The targets of the Markdown links outside code blocks and code spans, web addresses left out.</summary>
    private static IEnumerable<string> LinkTargets(string text) =>
        Link().Matches(CodeSpan().Replace(Fence().Replace(text, ""), ""))
            .Select(m => m.Groups[1].Value)
            .Where(t => !t.Contains("://", StringComparison.Ordinal) && !t.StartsWith("mailto:", StringComparison.Ordinal));

    /// <summary>The anchors GitHub gives a file's headings: lower case, punctuation dropped, spaces as hyphens, repeats numbered.</summary>
    private static List<string> Anchors(string markdown)
    {
        var seen = new Dictionary<string, int>();
        var anchors = new List<string>();
        foreach (Match heading in Heading().Matches(Fence().Replace(markdown, "")))
        {
            var slug = NotInSlug().Replace(heading.Groups[1].Value.Trim().ToLowerInvariant(), "").Replace(' ', '-');
            var count = seen.GetValueOrDefault(slug);
            seen[slug] = count + 1;
            anchors.Add(count == 0 ? slug : $"{slug}-{count}");
        }
        return anchors;
    }

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex Fence();

    [GeneratedRegex(@"`[^`\n]*`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\[[^\]]*\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    [GeneratedRegex(@"^#{1,6} +(.+)$", RegexOptions.Multiline)]
    private static partial Regex Heading();

    [GeneratedRegex(@"[^\p{L}\p{M}\p{N}\p{Pc} -]")]
    private static partial Regex NotInSlug();
}
