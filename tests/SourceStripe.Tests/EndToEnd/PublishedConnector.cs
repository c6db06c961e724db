using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>
/// The NativeAOT binary, published once per test run (or taken from SOURCE_STRIPE_BINARY), driven over
/// stdin and stdout exactly as Flow drives it.
/// </summary>
public static class PublishedConnector
{
    private static readonly Lazy<Task<string>> Binary = new(PublishAsync);

    public static string RepositoryRoot { get; } = FindRoot();

    public static Task<string> PathAsync() => Binary.Value;

    public static async Task<ConnectorRun> RunAsync(string stdin, string[]? args = null, IDictionary<string, string>? environment = null, TimeSpan? timeout = null) =>
        await ChildProcess.RunAsync(await StartInfoAsync(args, environment), stdin, timeout ?? TimeSpan.FromMinutes(3));

    /// <summary>How to start the binary with all three standard streams redirected.</summary>
    public static async Task<ProcessStartInfo> StartInfoAsync(IEnumerable<string>? args = null, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(await PathAsync())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args ?? [])
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }
        return start;
    }

    private static async Task<string> PublishAsync()
    {
        if (Environment.GetEnvironmentVariable("SOURCE_STRIPE_BINARY") is { Length: > 0 } given)
        {
            return given;
        }
        var output = Path.Combine(RepositoryRoot, "artifacts", "e2e");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = RepositoryRoot,
        };
        foreach (var arg in new[] { "publish", "connector/SourceStripe.Connector.csproj", "-c", "Release", "-r", "linux-x64", "-o", output, "--nologo", "-nodeReuse:false" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var log = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish failed ({process.ExitCode}):\n{await log}\n{await errors}");
        }
        return Path.Combine(output, "source-stripe");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SourceStripe.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("SourceStripe.sln not found above " + AppContext.BaseDirectory);
    }
}

public sealed record ConnectorRun(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public IReadOnlyList<string> StdoutLines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public IReadOnlyList<JsonObject> Logs => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();

    /// <summary>The line Flow shows the user when the connector fails.</summary>
    public JsonObject LastLog => Logs[^1];

    public JsonObject SingleResponse()
    {
        Assert.True(StdoutLines.Count == 1, $"expected one response line, got {StdoutLines.Count}; stderr: {Stderr}");
        return JsonNode.Parse(StdoutLines[0])!.AsObject();
    }
}
