using System.Text.Json;
using SourceStripe.Capture;
using SourceStripe.Logging;

namespace SourceStripe.Protocol;

/// <summary>
/// The rest of stdin once a capture is open: <c>{"acknowledge":{"checkpoints":N}}</c> lines (only sent when
/// <c>opened</c> asked for explicit acknowledgements), until the runtime closes it to stop the capture.
/// </summary>
public sealed class RuntimeInput(TextReader stdin) : ICaptureInput
{
    public async Task<string?> ReadAsync(Action<long> acknowledged, CancellationToken stop)
    {
        try
        {
            // The read itself may not notice the cancellation: WaitAsync ends it when the capture stops.
            while (await stdin.ReadLineAsync(stop).AsTask().WaitAsync(stop).ConfigureAwait(false) is { } line)
            {
                if (line.Trim().Length == 0)
                {
                    continue;
                }
                if (Acknowledged(line) is { } checkpoints)
                {
                    acknowledged(checkpoints);
                }
                else
                {
                    Log.Warn("Ignoring an unexpected message during the capture", ("length", line.Length));
                }
            }
            Log.Info("stdin closed: stopping the capture");
            return null;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or System.Text.DecoderFallbackException)
        {
            Log.Debug("stdin failed", ("exception", e.ToString()));
            return $"Reading stdin failed ({e.GetType().Name}: {e.Message}): the runtime's connection to the connector broke; the capture stops and resumes from its last checkpoint when restarted";
        }
    }

    /// <summary>
    /// The count of an <c>acknowledge</c> message (0 when it names none: proto3's JSON leaves zeros out), or null for
    /// any other line.
    /// </summary>
    public static long? Acknowledged(string line)
    {
        if (!line.Contains("\"acknowledge\"", StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            using var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("acknowledge", out var acknowledge) || acknowledge.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            if (!acknowledge.TryGetProperty("checkpoints", out var count) || count.ValueKind == JsonValueKind.Null)
            {
                return 0;
            }
            return count.ValueKind switch
            {
                JsonValueKind.Number when count.TryGetInt64(out var n) && n >= 0 => n,
                // The runtime may write 64-bit numbers as strings.
                JsonValueKind.String when long.TryParse(count.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
                _ => null,
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
