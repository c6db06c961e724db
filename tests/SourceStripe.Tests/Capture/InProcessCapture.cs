using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Buffers;
using SourceStripe.Capture;
using SourceStripe.Config;
using SourceStripe.Protocol;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Capture;

/// <summary>
/// Runs <c>open</c> through the production protocol handler in this process, with a stdin the test can
/// close and a stdout read line by line into a <see cref="CaptureTranscript"/>.
/// </summary>
public sealed class InProcessCapture : IAsyncDisposable
{
    private readonly Pipe _stdin = new();
    private readonly CancellationTokenSource _abort = new();

    private InProcessCapture(CaptureTranscript transcript) => Transcript = transcript;

    public CaptureTranscript Transcript { get; }

    public Task<int> Exit { get; private set; } = Task.FromResult(0);

    /// <summary>
    /// Starts <paramref name="openRequest"/>. Its polls run up to now minus <paramref name="listLag"/> (none unless given) when
    /// its config does not set <c>advanced.list_lag_seconds</c>: what a test creates is then read by the next poll.
    /// </summary>
    /// <remarks>
    /// With <paramref name="memory"/> or <paramref name="onSession"/>, runs the session the handler would run for this
    /// open itself (stdin then carries only what follows <c>open</c>), handing it to <paramref name="onSession"/>.
    /// </remarks>
    public static async Task<InProcessCapture> StartAsync(string openRequest, TimeProvider? clock = null, TimeSpan? listLag = null, JsonNode? initialState = null,
        Func<EndpointConfig, StripeClient>? clients = null, MemoryBudget? memory = null, Action<CaptureSession>? onSession = null)
    {
        var run = new InProcessCapture(new CaptureTranscript(initialState));
        var stdout = new LineStream(run.Transcript.Add);
        var withLag = WithListLag(openRequest, listLag ?? TimeSpan.Zero);
        if (memory is not null || onSession is not null)
        {
            // The session the handler would run for this open, given the memory budget to watch.
            using var document = JsonDocument.Parse(withLag);
            Assert.True(RequestReader.TryRead(document.RootElement, out var request, out var wrongType), wrongType);
            var spec = CaptureSpecReader.Read(request.Open!, (clock ?? TimeProvider.System).GetUtcNow());
            var session = new CaptureSession(spec, new RuntimeInput(new StreamReader(run._stdin.Reader.AsStream())), new ProtocolCaptureSink(new ProtocolOutput(stdout), spec.TakesWebhooks),
                clients ?? (config => new StripeClient(config, clock: clock)))
            {
                Memory = memory ?? new MemoryBudget(),
            };
            onSession?.Invoke(session);
            run.Exit = Task.Run(() => session.RunAsync(run._abort.Token));
            return run;
        }
        var handler = new ProtocolHandler(run._stdin.Reader.AsStream(), new ProtocolOutput(stdout), clock ?? TimeProvider.System, clients);
        run.Exit = Task.Run(() => handler.RunAsync(run._abort.Token));
        await run._stdin.Writer.WriteAsync(Encoding.UTF8.GetBytes(withLag + "\n"));
        return run;
    }

    private static string WithListLag(string openRequest, TimeSpan listLag)
    {
        var open = JsonNode.Parse(openRequest)!;
        if (open["open"]?["capture"]?["config"] is JsonObject config)
        {
            if (config["advanced"] is not JsonObject advanced)
            {
                config["advanced"] = advanced = [];
            }
            advanced["list_lag_seconds"] ??= (int)listLag.TotalSeconds;
        }
        return open.ToJsonString();
    }

    /// <summary>Runs <paramref name="openRequest"/> until every stream's backfill is done, then stops it as Flow does.</summary>
    public static async Task<CaptureTranscript> BackfillEveryStreamAsync(string openRequest, TimeSpan? timeout = null)
    {
        await using var capture = await StartAsync(openRequest);
        await capture.WaitUntilAsync(t => StreamCatalog.All.All(s => t.PendingRanges(s.Name) == 0), timeout);
        Assert.Equal(0, await capture.StopAsync());
        return capture.Transcript;
    }

    public async Task WaitUntilAsync(Func<CaptureTranscript, bool> condition, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromMinutes(3));
        while (!condition(Transcript))
        {
            if (Exit.IsCompleted)
            {
                Assert.Fail($"the capture exited ({await Exit}) before the condition held");
            }
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for the capture");
            await Task.Delay(20);
        }
    }

    /// <summary>Acknowledges <paramref name="checkpoints"/> more checkpoints, as Flow's runtime does once it has committed them.</summary>
    public async Task AcknowledgeAsync(long checkpoints) =>
        await _stdin.Writer.WriteAsync(Encoding.UTF8.GetBytes($"{{\"acknowledge\":{{\"checkpoints\":{checkpoints}}}}}\n"));

    /// <summary>Closes stdin, as Flow does to stop a capture, and returns the exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stdin.Writer.CompleteAsync();
        return await Exit.WaitAsync(TimeSpan.FromMinutes(2));
    }

    public async ValueTask DisposeAsync()
    {
        await _stdin.Writer.CompleteAsync();
        await _abort.CancelAsync();
        try
        {
            await Exit.WaitAsync(TimeSpan.FromMinutes(1));
        }
        catch (Exception) when (Exit.IsFaulted || Exit.IsCanceled)
        {
        }
        _abort.Dispose();
    }

    /// <summary>A write-only stream that hands each complete line to a callback.</summary>
    private sealed class LineStream(Action<string> onLine) : Stream
    {
        private readonly MemoryStream _partial = new();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_partial)
            {
                while (!buffer.IsEmpty)
                {
                    var newline = buffer.IndexOf((byte)'\n');
                    if (newline < 0)
                    {
                        _partial.Write(buffer);
                        return;
                    }
                    _partial.Write(buffer[..newline]);
                    onLine(Encoding.UTF8.GetString(_partial.GetBuffer(), 0, (int)_partial.Length));
                    _partial.SetLength(0);
                    buffer = buffer[(newline + 1)..];
                }
            }
        }

        public override void Flush()
        {
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
