using SourceStripe.Capture;

namespace SourceStripe.Cli;

/// <summary>
/// The terminal's stand-in for Flow's runtime when it takes webhooks: a checkpoint counts as acknowledged once the
/// terminal sink has written it, so that a delivery is answered 2xx only after its documents are handed to the
/// output. A run killed before the state file is saved loses nothing either: webhooks never move the events cursor,
/// so the next run reads the change from the events again.
/// </summary>
public sealed class WrittenCheckpoints : ICaptureInput
{
    private readonly Lock _gate = new();
    private Action<long>? _acknowledged;
    private long _early;

    /// <summary>The sink wrote one more checkpoint.</summary>
    public void Written()
    {
        Action<long>? acknowledged;
        lock (_gate)
        {
            acknowledged = _acknowledged;
            if (acknowledged is null)
            {
                _early++;
                return;
            }
        }
        acknowledged(1);
    }

    /// <summary>Hands on what the sink writes until the capture stops: the terminal's input never ends on its own.</summary>
    public async Task<string?> ReadAsync(Action<long> acknowledged, CancellationToken stop)
    {
        long early;
        lock (_gate)
        {
            _acknowledged = acknowledged;
            early = _early;
        }
        if (early > 0)
        {
            acknowledged(early);
        }
        try
        {
            await Task.Delay(Timeout.Infinite, stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        return null;
    }
}
