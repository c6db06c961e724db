using System.Globalization;
using System.Text;
using System.Text.Json;

namespace SourceStripe.State;

/// <summary>
/// One binding's column of the accounts' rows (<see cref="CaptureState.Bindings"/>): whose values it holds, and
/// under which backfill counter and mode they were written. A binding whose counter rises or whose mode changes
/// gets a new column: its old values describe another capture of it.
/// </summary>
public sealed record StateColumn(string StateKey, long Backfill, bool FullRefresh);

/// <summary>
/// One account's cursors in every binding it has caught up in, as one small object, so that a platform of
/// 100,000 accounts fits the one <c>open</c> message Flow sends (64 MiB at most): its id written once, and a few
/// characters a binding. Times are whole minutes before <see cref="Base"/> (unix seconds, a whole minute at or
/// after the latest of them), rounded so that each is read back up to a minute early: a poll re-reads what its
/// lookback re-reads anyway, an events read re-applies a few events, a pass may come a minute early; none can
/// skip an object. Bindings polled in the last few minutes cost a digit each.
/// <code>
/// {"base":1764650100,"events":2,"run":5,"at":"1,1,,1441"}
/// </code>
/// is, for the first column, a cursor (incremental) or last pass (full refresh) of 1764650040, the same for the
/// second, nothing for the third, 1764563640 for the fourth; events applied up to 1764649980, and a last run at
/// 1764649800. <c>events</c> and <c>run</c> are the account's: the earliest of its bindings'.
/// </summary>
public sealed class AccountRow
{
    public const string Expected = "expected an account's row: {\"base\": unix seconds, \"events\": minutes, \"run\": minutes, \"at\": \"minutes,…\"} with whole numbers of 0 or more";

    private AccountRow(long @base, int? events, int? run, int?[] at)
    {
        Base = @base;
        Events = events;
        Run = run;
        At = at;
    }

    /// <summary>Unix seconds, a whole minute: every time of the row is at or before it.</summary>
    public long Base { get; }

    /// <summary>Minutes before <see cref="Base"/> up to which Stripe events were applied, for the bindings that read them.</summary>
    public int? Events { get; }

    /// <summary>Minutes before <see cref="Base"/> of the earliest last poll or pass.</summary>
    public int? Run { get; }

    /// <summary>Per column, minutes before <see cref="Base"/> of its cursor (incremental) or last pass (full refresh).</summary>
    public IReadOnlyList<int?> At { get; }

    /// <summary>The row of <paramref name="states"/> (by column of <paramref name="columns"/>); null when none has a time.</summary>
    public static AccountRow? From(IReadOnlyList<AccountState?> states, IReadOnlyList<StateColumn?> columns)
    {
        var at = new long?[columns.Count];
        long? events = null, run = null;
        for (var c = 0; c < columns.Count && c < states.Count; c++)
        {
            if (columns[c] is not { } column || states[c] is not { } state)
            {
                continue;
            }
            at[c] = column.FullRefresh ? state.LastPass : state.Cursor;
            events = Min(events, state.Events);
            run = Min(run, state.LastRun);
        }
        var latest = at.Append(events).Append(run).Where(t => t is not null).Max();
        if (latest is not { } last || at.All(t => t is null))
        {
            return null;
        }
        var @base = last + ((60 - (last % 60)) % 60);
        return new AccountRow(@base, Minutes(events, @base), Minutes(run, @base), [.. at.Select(t => Minutes(t, @base))]);
    }

    /// <summary>The state the row holds for column <paramref name="index"/>, or null when it holds none.</summary>
    public AccountState? StateOf(int index, StateColumn column)
    {
        if (index >= At.Count || At[index] is not { } minutes)
        {
            return null;
        }
        var at = Time(minutes);
        return column.FullRefresh
            ? new AccountState { LastPass = at, LastRun = at }
            : new AccountState { Cursor = at, Events = Events is { } e ? Time(e) : null, LastRun = Run is { } r ? Time(r) : null };
    }

    private long Time(int minutes) => Base - (minutes * 60L);

    private static long? Min(long? a, long? b) => a is null ? b : b is null ? a : Math.Min(a.Value, b.Value);

    /// <summary>Whole minutes from <paramref name="time"/> to <paramref name="base"/>, rounded up: read back, the time is up to a minute early.</summary>
    private static int? Minutes(long? time, long @base) => time is { } t ? checked((int)((@base - t + 59) / 60)) : null;

    public void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        json.WriteNumber("base", Base);
        // Null rather than left out: a checkpoint merges the row into the one before, which may have had them.
        StatePatch.WriteIfSet(json, "events", Events);
        StatePatch.WriteIfSet(json, "run", Run);
        var at = new StringBuilder();
        var kept = 0;
        for (var c = 0; c < At.Count; c++)
        {
            if (c > 0)
            {
                at.Append(',');
            }
            if (At[c] is { } minutes)
            {
                at.Append(minutes.ToString(CultureInfo.InvariantCulture));
                kept = at.Length;
            }
        }
        json.WriteString("at", at.ToString(0, kept));
        json.WriteEndObject();
    }

    /// <summary>Reads a row; null when <paramref name="row"/> is not one (see <see cref="Expected"/>).</summary>
    public static AccountRow? Read(JsonElement row)
    {
        if (row.ValueKind != JsonValueKind.Object
            || !row.TryGetProperty("base", out var baseElement) || baseElement.ValueKind != JsonValueKind.Number
            || !baseElement.TryGetInt64(out var @base) || @base < 0 || @base % 60 != 0
            || !row.TryGetProperty("at", out var atElement) || atElement.ValueKind != JsonValueKind.String
            || !OptionalMinutes(row, "events", out var events) || !OptionalMinutes(row, "run", out var run))
        {
            return null;
        }
        var text = atElement.GetString()!;
        var parts = text.Length == 0 ? [] : text.Split(',');
        var at = new int?[parts.Length];
        for (var c = 0; c < parts.Length; c++)
        {
            if (parts[c].Length == 0)
            {
                continue;
            }
            if (!int.TryParse(parts[c], NumberStyles.None, CultureInfo.InvariantCulture, out var minutes))
            {
                return null;
            }
            at[c] = minutes;
        }
        foreach (var member in row.EnumerateObject())
        {
            if (member.Name is not ("base" or "events" or "run" or "at"))
            {
                return null;
            }
        }
        return new AccountRow(@base, events, run, at);
    }

    private static bool OptionalMinutes(JsonElement row, string name, out int? minutes)
    {
        minutes = null;
        if (!row.TryGetProperty(name, out var element) || element.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt32(out var value) || value < 0)
        {
            return false;
        }
        minutes = value;
        return true;
    }
}
