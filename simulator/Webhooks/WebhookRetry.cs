namespace SourceStripe.Simulator.Webhooks;

/// <summary>
/// When a failed delivery is tried again: exponential backoff from <see cref="FirstDelay"/>, each delay
/// <see cref="Factor"/> times the previous one (at most <see cref="MaxDelay"/>), until <see cref="GiveUpAfter"/> has
/// passed since the first attempt or <see cref="MaxAttempts"/> attempts were made.
/// </summary>
/// <remarks>Stripe documents the shape (live mode: exponential backoff for up to three days; a sandbox: three retries
/// over a few hours) but not the intervals; <see cref="Live"/> and <see cref="Sandbox"/> follow the shape.</remarks>
public sealed record WebhookRetry
{
    /// <summary>Live mode: from one minute, doubling, for three days (12 retries, the last about 58 hours in: the delays are capped at a day).</summary>
    public static WebhookRetry Live { get; } = new();

    /// <summary>A sandbox: three retries over a few hours (1, 2 and 4 hours apart).</summary>
    public static WebhookRetry Sandbox { get; } = new() { FirstDelay = TimeSpan.FromHours(1), MaxAttempts = 4 };

    /// <summary>For tests: from 100 ms, doubling up to 2 s, for ten minutes.</summary>
    public static WebhookRetry Fast { get; } = new()
    {
        FirstDelay = TimeSpan.FromMilliseconds(100),
        MaxDelay = TimeSpan.FromSeconds(2),
        GiveUpAfter = TimeSpan.FromMinutes(10),
    };

    public TimeSpan FirstDelay { get; init; } = TimeSpan.FromMinutes(1);

    public double Factor { get; init; } = 2;

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromDays(1);

    public TimeSpan GiveUpAfter { get; init; } = TimeSpan.FromDays(3);

    /// <summary>Attempts in all, the first included; null: as many as <see cref="GiveUpAfter"/> allows.</summary>
    public int? MaxAttempts { get; init; }

    /// <summary>The wait before attempt <paramref name="nextAttempt"/> (2 = the first retry), or null when the delivery
    /// is given up: that attempt would exceed <see cref="MaxAttempts"/> or start past <see cref="GiveUpAfter"/>.</summary>
    public TimeSpan? DelayBefore(int nextAttempt, TimeSpan sinceFirstAttempt)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nextAttempt, 2);
        if (nextAttempt > MaxAttempts)
        {
            return null;
        }
        var ticks = FirstDelay.Ticks * Math.Pow(Factor, nextAttempt - 2);
        var delay = ticks >= MaxDelay.Ticks ? MaxDelay : TimeSpan.FromTicks((long)ticks);
        return sinceFirstAttempt + delay > GiveUpAfter ? null : delay;
    }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(FirstDelay, TimeSpan.Zero, nameof(FirstDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(Factor, 1, nameof(Factor));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, FirstDelay, nameof(MaxDelay));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts ?? 1, 1, nameof(MaxAttempts));
    }
}
