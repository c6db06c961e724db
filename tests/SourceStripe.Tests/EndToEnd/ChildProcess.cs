using System.Diagnostics;
using System.Text;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>A child process run to its end under a deadline, its output kept whole.</summary>
internal static class ChildProcess
{
    public static async Task<ConnectorRun> RunAsync(ProcessStartInfo start, string stdin, TimeSpan timeout)
    {
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        using var process = Process.Start(start)!;
        var output = new MemoryStream();
        var error = new MemoryStream();
        var readOut = process.StandardOutput.BaseStream.CopyToAsync(output);
        var readErr = process.StandardError.BaseStream.CopyToAsync(error);
        await process.StandardInput.BaseStream.WriteAsync(Encoding.UTF8.GetBytes(stdin));
        process.StandardInput.Close();

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            // The whole tree: a build's worker nodes would otherwise outlive the test and hold the pipes open.
            process.Kill(entireProcessTree: true);
            await Task.WhenAny(Task.WhenAll(readOut, readErr), Task.Delay(TimeSpan.FromSeconds(5)));
            throw new TimeoutException(
                $"{Describe(start)} did not exit within {timeout.TotalSeconds} s.\n" +
                $"stdout ends:\n{Tail(Encoding.UTF8.GetString(output.ToArray()))}\nstderr ends:\n{Tail(Encoding.UTF8.GetString(error.ToArray()))}");
        }
        await Task.WhenAll(readOut, readErr);
        return new ConnectorRun(process.ExitCode, output.ToArray(), Encoding.UTF8.GetString(error.ToArray()));
    }

    /// <summary>
    /// Starts <paramref name="start"/> so that SIGINT reaches it: a shell runs background jobs with SIGINT ignored, and
    /// the runtime keeps a signal ignored that it inherits as such, so the default is restored however CI starts us.
    /// </summary>
    public static Process StartInterruptible(ProcessStartInfo start)
    {
        start.ArgumentList.Insert(0, start.FileName);
        start.ArgumentList.Insert(0, "--default-signal=INT");
        start.FileName = "env";
        return Process.Start(start)!;
    }

    /// <summary>Sends SIGINT, as Ctrl+C in a terminal does.</summary>
    public static async Task InterruptAsync(Process process)
    {
        using var interrupt = Process.Start("kill", ["-INT", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await interrupt.WaitForExitAsync();
    }

    /// <summary>The last lines of a long output, where a build or a crash says what went wrong.</summary>
    public static string Tail(string text, int lines = 40)
    {
        var all = text.TrimEnd().Split('\n');
        return all.Length <= lines ? string.Join('\n', all) : $"… ({all.Length - lines} lines before)\n" + string.Join('\n', all[^lines..]);
    }

    private static string Describe(ProcessStartInfo start) => string.Join(' ', start.ArgumentList.Prepend(Path.GetFileName(start.FileName)));
}
