using System.Globalization;
using System.Text.Json.Nodes;
using SourceStripe.Capture;

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
    /// Takes in a commit: its documents, the binding's state once its checkpoint is merged (null: cleared) and,
    /// from the accounts' rows, the cursors of the accounts that have caught up in it.
    /// </summary>
    public void Committed(int documents, JsonObject? state, IReadOnlyList<AccountState> fromRows)
    {
        Documents += documents;
        if (documents > 0)
        {
            Pages++;
        }
        var accounts = (state?["accounts"] as JsonObject)?.Select(a => a.Value).Where(a => a is not null).Select(Expanded).ToList() ?? [];
        accounts.AddRange(fromRows.Select(Expanded));
        if (accounts.Count == 0)
        {
            _remaining = _total = 0;
            Caught = false;
            Position = null;
            return;
        }
        var pending = accounts.SelectMany(a => (a["pending"] as JsonObject)?.Select(p => p.Value).OfType<JsonObject>() ?? []).ToList();
        _remaining = pending.Sum(r => Math.Max(0, Reached(r) - Long(r, "gte")));
        _total = Math.Max(_total, _remaining);
        Position = pending.Count == 0 ? null : DateTimeOffset.FromUnixTimeSeconds(pending.Min(Reached));
        Caught = pending.Count == 0 && accounts.All(a => a["cursor"] is not null || a["lastPass"] is not null);
    }

    /// <summary>An account's state as an object: a compact one (a string, nothing pending) with its cursors.</summary>
    private static JsonObject Expanded(JsonNode? account)
    {
        if (account is JsonObject full)
        {
            return full;
        }
        return Expanded(AccountStateConverter.Decode(account!.GetValue<string>()));
    }

    private static JsonObject Expanded(AccountState compact)
    {
        var expanded = new JsonObject();
        if (compact.Cursor is { } cursor)
        {
            expanded["cursor"] = cursor;
        }
        if (compact.LastPass is { } lastPass)
        {
            expanded["lastPass"] = lastPass;
        }
        return expanded;
    }

    /// <summary>Where a range read newest first has reached.</summary>
    private static long Reached(JsonObject range) => range["afterCreated"] is { } reached ? reached.GetValue<long>() : Long(range, "lt");

    private static long Long(JsonObject range, string name) => range[name]?.GetValue<long>() ?? 0;
}
