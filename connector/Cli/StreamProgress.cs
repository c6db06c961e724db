using System.Globalization;
using SourceStripe.State;

namespace SourceStripe.Cli;

/// <summary>One stream's progress in a terminal capture, read from what it commits.</summary>
public sealed class StreamProgress(string name)
{
    public string Name { get; } = name;

    public long Documents { get; private set; }

    /// <summary>Commits that carried documents: one per page read (for a child stream, per parent).</summary>
    public long Pages { get; private set; }

    /// <summary>Whether the stream has nothing pending and has finished its backfill or full pass.</summary>
    public bool Caught { get; private set; }

    /// <summary>Seconds of <c>created</c> time still to read; the largest value seen is the whole job.</summary>
    private long _remaining;
    private long _total;

    /// <summary>Share of the backfill's <c>created</c> span read so far (by time, not by count), or null before it starts.</summary>
    public double? BackfillShare => Caught ? 1 : _total > 0 ? 1 - ((double)_remaining / _total) : null;

    /// <summary>Where the oldest pending range has reached, reading newest first.</summary>
    public DateTimeOffset? Position { get; private set; }

    /// <summary>The ids of the documents, when the sink tracks them.</summary>
    public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

    /// <summary>How far the stream has come, as progress and the summary put it; the position is when its backfill has reached.</summary>
    public string Backfill(bool withPosition) => this switch
    {
        { Caught: true } => "caught up",
        { BackfillShare: { } share, Position: { } at } => withPosition
            ? string.Create(CultureInfo.InvariantCulture, $"backfill {share * 100:F0}%, at {at:yyyy-MM-dd HH:mm}")
            : string.Create(CultureInfo.InvariantCulture, $"backfill {share * 100:F0}%"),
        _ => "starting",
    };

    /// <summary>Documents at the last progress report, to tell the rate since.</summary>
    public long Reported { get; set; }

    /// <summary>
    /// Takes in a commit: its documents, and the binding's progress in every account once its checkpoint is merged
    /// (<see cref="CaptureState.ProgressOf"/>).
    /// </summary>
    public void Committed(int documents, IReadOnlyList<AccountState> accounts)
    {
        Documents += documents;
        if (documents > 0)
        {
            Pages++;
        }
        if (accounts.Count == 0)
        {
            _remaining = _total = 0;
            Caught = false;
            Position = null;
            return;
        }
        var pending = accounts.SelectMany(a => a.PendingRanges.Values).OfType<RangeState>().ToList();
        _remaining = pending.Sum(r => Math.Max(0, Reached(r) - r.Gte));
        _total = Math.Max(_total, _remaining);
        Position = pending.Count == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(pending.Min(Reached));
        Caught = pending.Count == 0 && accounts.All(a => a.Cursor is not null || a.LastPass is not null);
    }

    /// <summary>Where a range read newest first has reached.</summary>
    private static long Reached(RangeState range) => range.AfterCreated ?? range.Lt;
}
