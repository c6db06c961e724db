using System.Text;
using System.Text.Json.Nodes;
using SourceStripe.Protocol;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Capture.Core;

/// <summary>How a capture ends when the runtime's side of stdin goes away.</summary>
public sealed class StdinTests
{
    /// <summary>stdin that yields the open request, then fails the next read when the test says so.</summary>
    private sealed class BreakingStdin(string firstLine) : Stream
    {
        private readonly TaskCompletionSource _broken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private byte[]? _pending = Encoding.UTF8.GetBytes(firstLine + "\n");

        public void Break() => _broken.TrySetException(new IOException("Input/output error"));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_pending is { } bytes)
            {
                _pending = null;
                bytes.CopyTo(buffer);
                return bytes.Length;
            }
            await _broken.Task.WaitAsync(cancellationToken);
            return 0;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush()
        {
        }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [Fact]
    public async Task A_broken_stdin_ends_the_capture_with_a_non_zero_exit_after_its_last_checkpoint()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 30 });
        var open = OpenRequests.Open(stripe.BaseUrl, "sk_live_simulator", DateTimeOffset.UtcNow.AddYears(-3), [new("charges", Interval: "PT1S")],
            advanced: new JsonObject { ["list_lag_seconds"] = 0 });
        var stdin = new BreakingStdin(open);
        var transcript = new CaptureTranscript();
        var stdout = new MemoryStream();
        var handler = new ProtocolHandler(stdin, new ProtocolOutput(stdout), TimeProvider.System);
        var exit = Task.Run(() => handler.RunAsync(CancellationToken.None));
        // Break it while documents flow: the capture must still end on a checkpoint of what it wrote.
        await WorkSchedulerTests.Until(() => { lock (stdout) { return Encoding.UTF8.GetString(stdout.ToArray()).Contains("\"captured\"", StringComparison.Ordinal); } });
        stdin.Break();
        Assert.Equal(1, await exit.WaitAsync(TimeSpan.FromSeconds(60)));
        foreach (var line in Encoding.UTF8.GetString(stdout.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            transcript.Add(line);
        }
        Assert.True(transcript.Opened);
        Assert.True(transcript.Checkpoints >= 1, "the capture checkpointed what it had before it stopped");
        Assert.Equal(transcript.Documents.Count, transcript.CommittedDocuments.Count);
    }
}
