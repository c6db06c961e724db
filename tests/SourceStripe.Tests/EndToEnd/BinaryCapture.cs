using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Tests.Capture;

namespace SourceStripe.Tests.EndToEnd;

/// <summary>
/// The published binary running a capture, as Flow runs it: open on stdin, kept open until the test closes it, each
/// checkpoint acknowledged once read when the capture asked for acknowledgements (Flow's runtime acknowledges once it
/// has committed one; here reading it is committing it).
/// </summary>
public sealed class BinaryCapture : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Task _stdout;
    private readonly StringBuilder _stderr = new();
    private readonly Task _stderrTask;

    private BinaryCapture(Process process, CaptureTranscript transcript, Func<CaptureTranscript, bool>? killWhen)
    {
        _process = process;
        Transcript = transcript;
        _stdout = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                transcript.Add(line);
                // Before the acknowledgement: a kill may fall between a checkpoint and its acknowledgement.
                if (killWhen?.Invoke(transcript) == true)
                {
                    Kill();
                    return;
                }
                if (transcript.ExplicitAcknowledgements && line.StartsWith("{\"checkpoint\"", StringComparison.Ordinal))
                {
                    Acknowledge();
                }
            }
        });
        _stderrTask = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line)
            {
                lock (_stderr)
                {
                    _stderr.AppendLine(line);
                }
            }
        });
    }

    public CaptureTranscript Transcript { get; }

    private readonly Lock _stdinGate = new();
    private bool _stdinClosed;

    private void Acknowledge()
    {
        lock (_stdinGate)
        {
            if (_stdinClosed)
            {
                return;
            }
            try
            {
                _process.StandardInput.WriteLine("{\"acknowledge\":{\"checkpoints\":1}}");
                _process.StandardInput.Flush();
            }
            catch (IOException)
            {
                // Killed meanwhile: the runtime's acknowledgement is lost with it.
            }
        }
    }

    /// <summary>The exit code, once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    public string Stderr
    {
        get { lock (_stderr) { return _stderr.ToString(); } }
    }

    /// <summary>Starts the binary on <paramref name="openRequest"/>; <paramref name="killWhen"/> is checked after every stdout line.</summary>
    public static async Task<BinaryCapture> StartAsync(string openRequest, JsonNode? initialState = null, Func<CaptureTranscript, bool>? killWhen = null)
    {
        var process = Process.Start(await PublishedConnector.StartInfoAsync())!;
        var capture = new BinaryCapture(process, new CaptureTranscript(initialState), killWhen);
        await process.StandardInput.WriteLineAsync(openRequest);
        await process.StandardInput.FlushAsync();
        return capture;
    }

    public async Task WaitUntilAsync(Func<CaptureTranscript, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        while (!condition(Transcript))
        {
            if (_process.HasExited && _stdout.IsCompleted)
            {
                Assert.Fail($"source-stripe exited ({_process.ExitCode}) early:\n{Stderr}");
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the capture:\n" + Stderr);
            await Task.Delay(20);
        }
    }

    /// <summary>Closes stdin and waits for a clean exit; returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        lock (_stdinGate)
        {
            _stdinClosed = true;
            _process.StandardInput.Close();
        }
        await _process.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromMinutes(2)).Token);
        await Task.WhenAll(_stdout, _stderrTask);
        return _process.ExitCode;
    }

    /// <summary>Waits until the process has ended (killed or exited) and its output is read.</summary>
    public async Task WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync(new CancellationTokenSource(timeout).Token);
        await Task.WhenAll(_stdout, _stderrTask);
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
