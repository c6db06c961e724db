namespace SourceStripe.Config;

/// <summary>
/// Collects every mistake in a request's configuration, each as "path: what is expected", so that the
/// user sees them all at once in one error rather than one per attempt.
/// </summary>
public sealed class ConfigProblems
{
    private readonly List<string> _problems = [];

    public IReadOnlyList<string> All => _problems;

    public bool Any => _problems.Count > 0;

    public void Add(string path, string expected) => _problems.Add($"{path}: {expected}");

    /// <summary>One sentence for the user: Flow shows the last log line as the error.</summary>
    public string Summary(string what) => _problems.Count == 1
        ? $"Invalid {what}: {_problems[0]}"
        : $"Invalid {what} ({_problems.Count} problems): {string.Join("; ", _problems)}";
}

/// <summary>A request that cannot be served as sent; its message is the whole user-facing error.</summary>
public sealed class ConfigException(string message) : Exception(message);
