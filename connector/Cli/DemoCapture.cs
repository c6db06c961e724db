using SourceStripe.Logging;

namespace SourceStripe.Cli;

/// <summary><c>capture --demo</c>: the capture of a simulated account this binary serves on loopback.</summary>
public static class DemoCapture
{
    public static Task<int> RunAsync(TerminalCapture run, CancellationToken cancellation)
    {
        _ = run;
        _ = cancellation;
        Log.Error("--demo is not built yet");
        return Task.FromResult(1);
    }
}
