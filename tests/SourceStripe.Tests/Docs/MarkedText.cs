using SourceStripe.Tests.EndToEnd;

namespace SourceStripe.Tests.Docs;

/// <summary>
/// The repository's Markdown files, and what lies between a pair of <c>&lt;!-- marker --&gt;</c> comments in them:
/// the tables and code blocks the docs tests hold to the code.
/// </summary>
internal static class MarkedText
{
    /// <summary>A file of the repository, by its path from the root.</summary>
    public static string Read(string path) => File.ReadAllText(Path.Combine(PublishedConnector.RepositoryRoot, path));

    /// <summary>The rows of the Markdown table between a marker pair, header and separator left out, each cell trimmed.</summary>
    public static List<string[]> TableRows(string text, string marker) =>
        [.. Between(text, marker)
            .Split('\n')
            .Where(l => l.StartsWith('|'))
            .Skip(2)
            .Select(l => l.Trim().Trim('|').Split('|').Select(c => c.Trim()).ToArray())];

    /// <summary>The fenced code block between a marker pair.</summary>
    public static string CodeBlock(string text, string marker)
    {
        var block = Between(text, marker);
        var open = block.IndexOf("```", StringComparison.Ordinal);
        var code = block.IndexOf('\n', open) + 1;
        return block[code..block.LastIndexOf("```", StringComparison.Ordinal)];
    }

    private static string Between(string text, string marker)
    {
        var start = text.IndexOf($"<!-- {marker} -->", StringComparison.Ordinal);
        var end = text.IndexOf($"<!-- /{marker} -->", StringComparison.Ordinal);
        Assert.True(start >= 0 && end > start, $"no {marker} markers");
        return text[start..end];
    }
}
