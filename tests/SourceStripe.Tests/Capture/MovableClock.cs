namespace SourceStripe.Tests.Capture;

/// <summary>Real time shifted to a chosen "now": delays still take real time, dates are the test's.</summary>
public sealed class MovableClock(DateTimeOffset now) : TimeProvider
{
    private TimeSpan _offset = now - DateTimeOffset.UtcNow;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UtcNow + _offset;

    public void MoveTo(DateTimeOffset now) => _offset = now - DateTimeOffset.UtcNow;
}
