namespace SourceStripe.Capture;

/// <summary>
/// What the runtime sends a running capture: acknowledgements of its checkpoints, until it closes its input, which
/// stops the capture. Flow's protocol reads it from stdin; the capture does not know that format.
/// </summary>
public interface ICaptureInput
{
    /// <summary>
    /// Reads until the input ends (null) or breaks (the sentence to fail the capture with), handing each
    /// acknowledgement's count of checkpoints to <paramref name="acknowledged"/>. Ends, with null, when
    /// <paramref name="stop"/> is cancelled.
    /// </summary>
    Task<string?> ReadAsync(Action<long> acknowledged, CancellationToken stop);
}
