using SourceStripe.Cli;
using SourceStripe.Logging;
using SourceStripe.Protocol;

namespace SourceStripe;

public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var terminal = TerminalCommands.Requested(args, Console.IsInputRedirected);
        if (terminal)
        {
            // A person reads stderr: plain lines, and only what needs attention unless asked for more.
            Log.ForTerminal = true;
            Log.MinimumLevel = LogLevel.Warn;
        }
        ApplyFlags(args);
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };

        try
        {
            if (terminal)
            {
                return await TerminalCommands.RunAsync(args, cancellation.Token).ConfigureAwait(false);
            }
            var output = new ProtocolOutput(StandardOutput.Open());
            var handler = new ProtocolHandler(Console.OpenStandardInput(), output, TimeProvider.System);
            return await handler.RunAsync(cancellation.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Log.Error("Interrupted before the request was answered");
            return 130;
        }
        catch (Exception e)
        {
            // The detail for a maintainer first; the last line is the sentence Flow shows the user.
            Log.Debug("Unexpected failure", ("exception", e.ToString()));
            Log.Error($"source-stripe failed unexpectedly: {e.GetType().Name}: {e.Message}");
            return 1;
        }
    }

    /// <summary>Flow's runtimes may append flags such as --log.level=debug: honour that one, ignore the rest (LOG_LEVEL too).</summary>
    private static void ApplyFlags(string[] args)
    {
        if (Environment.GetEnvironmentVariable("LOG_LEVEL") is { } fromEnvironment && Log.TryParseLevel(fromEnvironment, out var envLevel))
        {
            Log.MinimumLevel = envLevel;
        }
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            var value = arg.StartsWith("--log.level=", StringComparison.Ordinal) || arg.StartsWith("--log-level=", StringComparison.Ordinal) ? arg[12..] : null;
            if (value is not null && Log.TryParseLevel(value, out var level))
            {
                Log.MinimumLevel = level;
            }
            else if (arg is "--log.level" or "--log-level" && i + 1 < args.Length && Log.TryParseLevel(args[i + 1], out level))
            {
                Log.MinimumLevel = level;
                i++;
            }
        }
    }
}
