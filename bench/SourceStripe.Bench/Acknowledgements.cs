namespace SourceStripe.Bench;

/// <summary>
/// The runtime's side of explicit acknowledgements: when the connector opened with them, every checkpoint read is
/// acknowledged on stdin once the lines read with it are handled, as Flow does once a checkpoint has committed.
/// </summary>
internal sealed class Acknowledgements(StreamWriter stdin)
{
    private readonly Lock _gate = new();
    private bool _explicit;
    private int _unacknowledged;
    private bool _closed;

    public void Read(ReadOnlySpan<byte> line)
    {
        if (line.StartsWith("{\"opened\""u8))
        {
            _explicit = line.IndexOf("\"explicitAcknowledgements\":true"u8) >= 0;
        }
        else if (_explicit && line.StartsWith("{\"checkpoint\""u8))
        {
            _unacknowledged++;
        }
    }

    public void Send()
    {
        if (_unacknowledged == 0)
        {
            return;
        }
        var line = $"{{\"acknowledge\":{{\"checkpoints\":{_unacknowledged}}}}}";
        _unacknowledged = 0;
        lock (_gate)
        {
            if (_closed)
            {
                return;
            }
            stdin.WriteLine(line);
            stdin.Flush();
        }
    }

    /// <summary>Closes stdin (the runtime's way to stop the capture); no acknowledgement follows.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
            stdin.Close();
        }
    }
}
