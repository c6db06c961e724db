using System.Buffers;
using System.Text.Json;

namespace SourceStripe.State;

/// <summary>
/// A checkpoint's RFC 7396 merge patch of the state (<see cref="CaptureState"/>), built from what changed: the
/// one place the state's JSON is written. Setting something to null deletes it from the merged state.
/// </summary>
public sealed class StatePatch
{
    private List<StateColumn?>? _bindings;
    private readonly Dictionary<string, AccountRow?> _accounts = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, AccountState?>?> _pending = new(StringComparer.Ordinal);

    /// <summary>Writes the rows' columns (and the shape's version with them).</summary>
    public StatePatch Bindings(IReadOnlyList<StateColumn?> columns)
    {
        _bindings = [.. columns];
        return this;
    }

    /// <summary>Writes an account's row; null deletes it.</summary>
    public StatePatch Row(string account, AccountRow? row)
    {
        _accounts[account] = row;
        return this;
    }

    /// <summary>
    /// Writes an account's progress in a binding, as its entry in <c>pending</c>; null deletes the entry, which also
    /// names the binding and the account whose row a checkpoint writes.
    /// </summary>
    public StatePatch Pending(string stateKey, string account, AccountState? progress)
    {
        if (!_pending.TryGetValue(stateKey, out var accounts) || accounts is null)
        {
            _pending[stateKey] = accounts = new(StringComparer.Ordinal);
        }
        accounts[account] = progress;
        return this;
    }

    /// <summary>Deletes every entry of a binding in <c>pending</c>.</summary>
    public StatePatch ClearPending(string stateKey)
    {
        _pending[stateKey] = null;
        return this;
    }

    public byte[] ToArray()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json);
        }
        return buffer.WrittenSpan.ToArray();
    }

    private void Write(Utf8JsonWriter json)
    {
        json.WriteStartObject();
        if (_bindings is not null)
        {
            json.WriteNumber("version", CaptureState.Version);
            json.WriteStartArray("bindings");
            foreach (var column in _bindings)
            {
                if (column is null)
                {
                    json.WriteNullValue();
                    continue;
                }
                json.WriteStartObject();
                json.WriteString("stateKey", column.StateKey);
                json.WriteNumber("backfill", column.Backfill);
                json.WriteBoolean("fullRefresh", column.FullRefresh);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        if (_accounts.Count > 0)
        {
            json.WriteStartObject("accounts");
            foreach (var (account, row) in _accounts)
            {
                json.WritePropertyName(account);
                if (row is null)
                {
                    json.WriteNullValue();
                }
                else
                {
                    row.Write(json);
                }
            }
            json.WriteEndObject();
        }
        if (_pending.Count > 0)
        {
            json.WriteStartObject("pending");
            foreach (var (stateKey, accounts) in _pending)
            {
                json.WritePropertyName(stateKey);
                if (accounts is null)
                {
                    json.WriteNullValue();
                    continue;
                }
                json.WriteStartObject();
                foreach (var (account, progress) in accounts)
                {
                    json.WritePropertyName(account);
                    WriteProgress(json, progress);
                }
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteProgress(Utf8JsonWriter json, AccountState? progress)
    {
        if (progress is null)
        {
            json.WriteNullValue();
            return;
        }
        json.WriteStartObject();
        WriteIfSet(json, "cursor", progress.Cursor);
        WriteIfSet(json, "events", progress.Events);
        WriteIfSet(json, "lastRun", progress.LastRun);
        WriteIfSet(json, "lastPass", progress.LastPass);
        // A finished range is written as null, so that the patch deletes it from the merged state.
        json.WriteStartObject("ranges");
        foreach (var (key, range) in progress.PendingRanges)
        {
            json.WritePropertyName(key);
            if (range is null)
            {
                json.WriteNullValue();
                continue;
            }
            json.WriteStartObject();
            json.WriteNumber("gte", range.Gte);
            json.WriteNumber("lt", range.Lt);
            if (range.After is { } after)
            {
                json.WriteString("after", after);
            }
            else
            {
                json.WriteNull("after");
            }
            WriteIfSet(json, "afterCreated", range.AfterCreated);
            if (range.Child is { } child)
            {
                json.WriteStartObject("child");
                json.WriteString("parent", child.Parent);
                json.WriteString("after", child.After);
                json.WriteEndObject();
            }
            else
            {
                json.WriteNull("child");
            }
            json.WriteEndObject();
        }
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>
    /// A value, or null when it has none: the patch merges into what the entry held before, and a member left out
    /// would keep its old value (a resume point given up, say).
    /// </summary>
    internal static void WriteIfSet(Utf8JsonWriter json, string name, long? value)
    {
        if (value is { } set)
        {
            json.WriteNumber(name, set);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}
