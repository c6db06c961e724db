using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Capture;
using SourceStripe.Config;
using SourceStripe.Logging;
using SourceStripe.Protocol;
using SourceStripe.State;
using SourceStripe.Streams;
using SourceStripe.Stripe;

namespace SourceStripe.Cli;

/// <summary>One terminal capture: the bound streams, where documents and state go, whether to keep going, and how progress shows.</summary>
public sealed class TerminalCapture(IReadOnlyList<StreamDescriptor> streams, string? statePath, string? outputPath, bool follow, ProgressDisplay display)
{
    private IReadOnlyList<StreamProgress> _progress = [];

    /// <summary>Counts the distinct objects of each stream (see <see cref="DistinctIds"/>).</summary>
    public bool TrackIds { get; init; }

    /// <summary>With <see cref="TrackIds"/>: told each document's stream and id as it is written; set before the run.</summary>
    public Action<string, string>? DocumentWritten { get; set; }

    /// <summary>Whether every bound stream has caught up (and the run has started).</summary>
    public bool CaughtUp => _progress is { Count: > 0 } progress && progress.All(p => p.Caught);

    public IReadOnlyList<StreamDescriptor> Streams => streams;

    /// <summary>After the run, with <see cref="TrackIds"/>: how many distinct objects of the stream were captured.</summary>
    public int DistinctIds(string stream) => _progress.FirstOrDefault(p => p.Name == stream)?.Ids.Count ?? 0;

    /// <summary>Runs the capture against <paramref name="config"/>; returns the exit code.</summary>
    public async Task<int> RunAsync(JsonElement config, CancellationToken cancellation)
    {
        var clock = TimeProvider.System;
        JsonNode? state;
        CaptureSpec spec;
        try
        {
            state = ReadState();
            var request = TerminalCommands.Request(json =>
            {
                json.WriteStartObject("open");
                json.WriteStartObject("capture");
                json.WriteString("name", "terminal");
                json.WriteString("connectorType", "IMAGE");
                json.WritePropertyName("config");
                config.WriteTo(json);
                TerminalCommands.WriteBindings(json, streams, asCapture: true);
                json.WriteEndObject();
                if (state is not null)
                {
                    json.WritePropertyName("state");
                    state.WriteTo(json);
                }
            });
            // Read as Flow's open is: the terminal's capture is checked and described the same way.
            using var document = JsonDocument.Parse(request, RequestErrors.DocumentOptions);
            if (!RequestReader.TryRead(document.RootElement, out var parsed, out var wrongType))
            {
                throw new ConfigException(wrongType);
            }
            spec = CaptureSpecReader.Read(parsed.Open!, clock.GetUtcNow()) with { StopWhenCaughtUp = !follow };
        }
        catch (ConfigException e)
        {
            Log.Error(e.Message);
            return 1;
        }

        Stream? documents = null;
        try
        {
            documents = OpenOutput();
            // Taking webhooks needs acknowledgements; here a checkpoint is acknowledged once the sink has written it.
            var written = spec.TakesWebhooks ? new WrittenCheckpoints() : null;
            using var sink = new TerminalSink([.. streams.Select(s => s.Name)], documents, statePath, state, clock)
            {
                TrackIds = TrackIds,
                DocumentWritten = DocumentWritten,
                CheckpointWritten = written is null ? null : written.Written,
            };
            _progress = sink.Streams;
            var progress = new CaptureProgress(sink.Streams, clock, display);
            using var stopProgress = new CancellationTokenSource();
            var reporting = progress.ReportUntilAsync(stopProgress.Token);
            var session = new CaptureSession(spec, written, sink, endpoint => new StripeClient(endpoint, clock: clock));
            int code;
            try
            {
                code = await session.RunAsync(cancellation).ConfigureAwait(false);
            }
            finally
            {
                await stopProgress.CancelAsync().ConfigureAwait(false);
                await reporting.ConfigureAwait(false);
            }
            sink.Dispose();
            Log.Line("");
            Log.Line(progress.Summary());
            Log.Line(outputPath is null
                ? "Documents were counted, not kept: pass --output FILE to keep them."
                : $"Documents written to {(outputPath == "-" ? "stdout" : outputPath)}.");
            if (statePath is not null)
            {
                Log.Line($"State saved to {statePath}: run again with --state {statePath} to continue from there.");
            }
            if (code == 0 && cancellation.IsCancellationRequested && !follow)
            {
                Log.Line("Interrupted before every stream caught up.");
                return 130;
            }
            return code;
        }
        catch (ConfigException e)
        {
            Log.Error(e.Message);
            return 1;
        }
        catch (IOException e)
        {
            // The sink's failures name their file (--state or --output).
            Log.Error(e.Message);
            return 1;
        }
        finally
        {
            if (documents is not null && outputPath != "-")
            {
                await documents.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private JsonNode? ReadState()
    {
        if (statePath is not null && !Directory.Exists(Path.GetDirectoryName(Path.GetFullPath(statePath))))
        {
            throw new ConfigException($"--state {statePath}: its folder does not exist; expected a file in an existing folder");
        }
        if (statePath is null || !File.Exists(statePath))
        {
            return null;
        }
        JsonElement state;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(statePath));
            state = document.RootElement.Clone();
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"--state {statePath}: cannot read it as JSON ({e.Message}); expected the state file an earlier capture wrote, or delete it to start over");
        }
        if (StateReader.Read(state).Problem is { } problem)
        {
            var field = problem.Path == "open.state" ? "the state" : problem.Path["open.state.".Length..];
            throw new ConfigException($"--state {statePath}: {field}: {problem.Expected}");
        }
        return state.ValueKind == JsonValueKind.Object ? JsonObject.Create(state) : null;
    }

    private Stream? OpenOutput()
    {
        try
        {
            return outputPath is null or "-" ? (outputPath is null ? null : Console.OpenStandardOutput()) : OpenOutputFile(outputPath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"--output {outputPath}: cannot open it for writing ({e.Message})");
        }
    }

    private FileStream OpenOutputFile(string path)
    {
        if (statePath is null)
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        // With a state file the output is the record of what the state says was delivered: add to it. A
        // run killed mid-write leaves part of a line, which no saved state covers: drop it.
        var file = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.Read, 1 << 16);
        file.SetLength(CompleteLinesLength(file));
        file.Seek(0, SeekOrigin.End);
        return file;
    }

    /// <summary>The length of <paramref name="file"/> up to and including its last newline.</summary>
    private static long CompleteLinesLength(FileStream file)
    {
        var buffer = new byte[64 * 1024];
        var end = file.Length;
        while (end > 0)
        {
            var start = Math.Max(0, end - buffer.Length);
            file.Seek(start, SeekOrigin.Begin);
            file.ReadExactly(buffer, 0, (int)(end - start));
            var newline = buffer.AsSpan(0, (int)(end - start)).LastIndexOf((byte)'\n');
            if (newline >= 0)
            {
                return start + newline + 1;
            }
            end = start;
        }
        return 0;
    }
}
