using System.Diagnostics;
using System.Text;
using SourceStripe.Tests.EndToEnd;

namespace SourceStripe.Tests.Faults;

/// <summary>The published binary as a long-running process: stdin stays open until the test closes it; output is kept as raw bytes.</summary>
internal sealed class ConnectorProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly MemoryStream _stdout = new();
    private readonly MemoryStream _stderr = new();
    private readonly Task _readOut;
    private readonly Task _readErr;

    private ConnectorProcess(Process process)
    {
        _process = process;
        _readOut = Pump(process.StandardOutput.BaseStream, _stdout);
        _readErr = Pump(process.StandardError.BaseStream, _stderr);
    }

    public static async Task<ConnectorProcess> StartAsync(byte[] stdin, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null)
    {
        var connector = new ConnectorProcess(Process.Start(await PublishedConnector.StartInfoAsync(args, environment))!);
        try
        {
            await connector._process.StandardInput.BaseStream.WriteAsync(stdin);
            await connector._process.StandardInput.BaseStream.FlushAsync();
        }
        catch (IOException)
        {
            // The connector may exit (and close stdin) before reading everything: its output says why.
        }
        return connector;
    }

    public static Task<ConnectorProcess> StartAsync(string line, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null) =>
        StartAsync(Encoding.UTF8.GetBytes(line + "\n"), args, environment);

    /// <summary>Runs a whole request: writes <paramref name="stdin"/>, closes stdin, waits for the exit.</summary>
    public static async Task<ConnectorRun> RunAsync(byte[] stdin, IEnumerable<string>? args = null, IDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        await using var connector = await StartAsync(stdin, args, environment);
        connector.CloseStdin();
        var exit = await connector.WaitForExitAsync(timeout ?? TimeSpan.FromMinutes(3));
        return new ConnectorRun(exit, connector.StdoutBytes, connector.Stderr);
    }

    public byte[] StdoutBytes
    {
        get { lock (_stdout) { return _stdout.ToArray(); } }
    }

    public byte[] StderrBytes
    {
        get { lock (_stderr) { return _stderr.ToArray(); } }
    }

    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string Stderr => Encoding.UTF8.GetString(StderrBytes);

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until stdout satisfies <paramref name="condition"/>; fails if the process ends first.</summary>
    public async Task WaitForStdoutAsync(Func<string, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        while (!condition(Stdout))
        {
            if (_process.HasExited && _readOut.IsCompleted)
            {
                Assert.Fail($"source-stripe exited ({_process.ExitCode}) early:\n{StreamChecks.Shorten(Stderr)}");
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the capture's output:\n" + StreamChecks.Shorten(Stderr));
            await Task.Delay(20);
        }
    }

    public void CloseStdin()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
        }
    }

    /// <summary>SIGKILL: no chance to flush or say goodbye.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
        }
    }

    /// <summary>Waits for the exit and for all output; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"source-stripe did not exit within {timeout.TotalSeconds} s; stderr so far:\n{StreamChecks.Shorten(Stderr)}");
        }
        await Task.WhenAll(_readOut, _readErr);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        await Task.WhenAll(_readOut, _readErr);
        _process.Dispose();
    }

    private static async Task Pump(Stream from, MemoryStream to)
    {
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer)) > 0)
        {
            lock (to)
            {
                to.Write(buffer, 0, read);
            }
        }
    }
}
