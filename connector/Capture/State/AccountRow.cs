using System.Text;
using System.Text.Json;

namespace SourceStripe.Capture;

/// <summary>
/// One account's caught-up cursors in every binding, as one string: the account's row in <c>accountsV1.rows</c>.
/// Kept per binding, an account's id alone is repeated in each binding's state (48 times with discover's
/// streams: 2.2 KB an account, 215 MB at 100,000 accounts), more than Flow's runtime carries in one message
/// (64 MiB: the whole state arrives in <c>open</c>). In a row the id is written once and each binding's cursors
/// cost a few characters.
/// </summary>
/// <remarks>
/// Columns, in the order of <c>accountsV1.bindings</c>, separated by <c>;</c>: <c>!</c> for a binding with no
/// cursors in the row, otherwise its <c>cursor</c>, <c>events</c>, <c>lastRun</c> less the cursor and
/// <c>lastPass</c> less lastRun, separated by <c>,</c>, each written against the same field of the nearest column
/// before it that has that field: empty when it is the same (or absent both times), <c>x</c> when absent now,
/// otherwise the difference in signed base 36 (from 0 in the first column). Trailing empty fields and trailing
/// <c>!</c> columns are left out. So <c>"t6mknk,t6mklv,u;-2s"</c> is cursor 1764650000, events 1764649939 and
/// lastRun 1764650030 in the first binding, and cursor 1764649900, the same events and lastRun 1764649930 in
/// the second.
/// </remarks>
public static class AccountRow
{
    public const string Expected = "expected an account's row of cursors: columns separated by ';', each '!' or up to four comma-separated base-36 differences";

    private const int Fields = 4;
    private const string Digits = "0123456789abcdefghijklmnopqrstuvwxyz";

    public static string Encode(IReadOnlyList<AccountState?> columns)
    {
        var previous = new long[Fields];
        var present = new bool[Fields];
        var row = new StringBuilder();
        var kept = 0;
        for (var c = 0; c < columns.Count; c++)
        {
            if (c > 0)
            {
                row.Append(';');
            }
            if (columns[c] is not { } state || IsEmpty(state))
            {
                row.Append('!');
                continue;
            }
            var fields = Written(state);
            var column = new StringBuilder();
            var written = 0;
            for (var f = 0; f < Fields; f++)
            {
                if (f > 0)
                {
                    column.Append(',');
                }
                if (fields[f] is { } value)
                {
                    if (!present[f] || value != previous[f])
                    {
                        AppendBase36(column, value - previous[f]);
                        written = column.Length;
                    }
                    previous[f] = value;
                    present[f] = true;
                }
                else if (present[f])
                {
                    column.Append('x');
                    written = column.Length;
                    present[f] = false;
                }
            }
            row.Append(column, 0, written);
            kept = row.Length;
        }
        return row.ToString(0, kept);
    }

    public static AccountState?[] Decode(string row)
    {
        if (row.Length == 0)
        {
            return [];
        }
        var previous = new long[Fields];
        var present = new bool[Fields];
        var columns = row.Split(';');
        var states = new AccountState?[columns.Length];
        for (var c = 0; c < columns.Length; c++)
        {
            if (columns[c] == "!")
            {
                continue;
            }
            var parts = columns[c].Length == 0 ? [] : columns[c].Split(',');
            if (parts.Length > Fields)
            {
                throw new JsonException(Expected);
            }
            var fields = new long?[Fields];
            for (var f = 0; f < Fields; f++)
            {
                var part = f < parts.Length ? parts[f] : "";
                if (part == "x")
                {
                    present[f] = false;
                }
                else if (part.Length > 0)
                {
                    previous[f] += ParseBase36(part);
                    present[f] = true;
                }
                fields[f] = present[f] ? previous[f] : null;
            }
            var lastRun = fields[2] + (fields[0] ?? 0);
            states[c] = new AccountState { Cursor = fields[0], Events = fields[1], LastRun = lastRun, LastPass = fields[3] + (lastRun ?? 0) };
        }
        return states;
    }

    /// <summary>
    /// The four fields as written: <c>lastRun</c> less the column's <c>cursor</c> (a poll at lastRun moves the cursor
    /// to lastRun less the list lag, so the difference is the same in every binding, whose polls run at different
    /// times) and <c>lastPass</c> less its <c>lastRun</c>; <c>cursor</c> and <c>events</c> (the account's, the
    /// same in every binding with events) as they are.
    /// </summary>
    private static long?[] Written(AccountState state) =>
        [state.Cursor, state.Events, state.LastRun - (state.Cursor ?? 0), state.LastPass - (state.LastRun ?? 0)];

    /// <summary>A state with no cursor at all is what a binding starts from: no need to write it.</summary>
    private static bool IsEmpty(AccountState state) => state.Cursor is null && state.Events is null && state.LastRun is null && state.LastPass is null;

    private static void AppendBase36(StringBuilder text, long value)
    {
        if (value < 0)
        {
            text.Append('-');
        }
        var magnitude = value == long.MinValue ? (ulong)long.MaxValue + 1 : (ulong)Math.Abs(value);
        Span<char> digits = stackalloc char[13];
        var at = digits.Length;
        do
        {
            digits[--at] = Digits[(int)(magnitude % 36)];
            magnitude /= 36;
        }
        while (magnitude > 0);
        text.Append(digits[at..]);
    }

    private static long ParseBase36(string text)
    {
        var negative = text[0] == '-';
        var digits = negative ? text.AsSpan(1) : text;
        if (digits.IsEmpty || digits.Length > 13)
        {
            throw new JsonException(Expected);
        }
        long value = 0;
        foreach (var d in digits)
        {
            var digit = d is >= '0' and <= '9' ? d - '0' : d is >= 'a' and <= 'z' ? d - 'a' + 10 : -1;
            if (digit < 0)
            {
                throw new JsonException(Expected);
            }
            value = checked((value * 36) + digit);
        }
        return negative ? -value : value;
    }
}
