using System.Diagnostics;

namespace SourceStripe.Bench;

/// <summary>Start-up: wall time of one short request, process start to exit, median of many runs.</summary>
public static class Startup
{
    /// <summary>Median milliseconds of <paramref name="runs"/> runs (after one untimed warm-up run).</summary>
    public static async Task<double> MedianMsAsync(string fileName, string? argument, string request, int runs)
    {
        var times = new List<double>();
        for (var i = 0; i <= runs; i++)
        {
            var ms = await RunOnceAsync(fileName, argument, request);
            if (i > 0)
            {
                times.Add(ms);
            }
        }
        return Median(times);
    }

    /// <summary>The middle value (the mean of the middle two for an even count); NaN for none.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? double.NaN
            : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static async Task<double> RunOnceAsync(string fileName, string? argument, string request)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (argument is not null)
        {
            start.ArgumentList.Add(argument);
        }
        var stopwatch = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + fileName);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteLineAsync(request);
        process.StandardInput.Close();
        await process.WaitForExitAsync();
        var elapsed = stopwatch.Elapsed.TotalMilliseconds;
        var output = await stdout;
        if (process.ExitCode != 0 || output.Length == 0)
        {
            throw new InvalidOperationException($"{fileName} {argument} exited {process.ExitCode} on {request[..Math.Min(40, request.Length)]}: {await stderr}");
        }
        return elapsed;
    }
}
