using System.Text.Json;
using SourceStripe.Config;

namespace SourceStripe.State;

/// <summary>What is wrong with a state: where (<c>open.state.…</c>) and what was expected there.</summary>
public sealed record StateProblem(string Path, string Expected);

/// <summary>
/// Reads <c>open.state</c> into a <see cref="CaptureState"/>, checking every value on the way: the first one
/// that is not what this connector writes is reported by its path, with what was expected and what was found.
/// </summary>
public static class StateReader
{
    private const string Reset = "reset the capture's state (or backfill the whole capture) to start over";

    /// <summary>The state, or the problem that keeps the capture from resuming from it.</summary>
    public static (CaptureState? State, StateProblem? Problem) Read(JsonElement? state)
    {
        try
        {
            return (ReadRoot(state), null);
        }
        catch (BadState bad)
        {
            return (null, new StateProblem(bad.Path, $"{bad.Expected}, got {bad.Found}, which is not state this connector writes; {Reset}"));
        }
    }

    /// <summary>Reads a state known to be this connector's own (the merge of its checkpoints, in tests and tools).</summary>
    public static CaptureState ReadWritten(System.Text.Json.Nodes.JsonNode state)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer))
        {
            state.WriteTo(json);
        }
        using var document = JsonDocument.Parse(buffer.WrittenMemory);
        return ReadWritten(document.RootElement);
    }

    /// <summary>As <see cref="ReadWritten(System.Text.Json.Nodes.JsonNode)"/>.</summary>
    public static CaptureState ReadWritten(JsonElement state)
    {
        var (read, problem) = Read(state);
        return read ?? throw new FormatException(problem!.Path + ": " + problem.Expected);
    }

    private static CaptureState ReadRoot(JsonElement? state)
    {
        const string Path = "open.state";
        if (state is not { } root || root.ValueKind == JsonValueKind.Null)
        {
            return new CaptureState();
        }
        Expect(root, JsonValueKind.Object, Path, "expected an object (the merged checkpoints)");
        if (!root.EnumerateObject().Any())
        {
            return new CaptureState();
        }
        if (!root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number || !version.TryGetInt32(out var number) || number != CaptureState.Version)
        {
            throw new BadState(Path + ".version", $"expected state written by this connector, version {CaptureState.Version}",
                root.TryGetProperty("version", out var found) ? EndpointConfig.Describe(found) : "state without it (members " + string.Join(", ", root.EnumerateObject().Select(m => m.Name)) + ")");
        }
        var read = new CaptureState();
        foreach (var member in root.EnumerateObject())
        {
            var path = Path + "." + member.Name;
            switch (member.Name)
            {
                case "version":
                    break;
                case "bindings":
                    Expect(member.Value, JsonValueKind.Array, path, "expected an array of the rows' columns");
                    var i = 0;
                    foreach (var column in member.Value.EnumerateArray())
                    {
                        read.Bindings.Add(ReadColumn(column, $"{path}[{i++}]"));
                    }
                    break;
                case "accounts":
                    foreach (var (account, row) in Members(member.Value, path, "expected an object of the accounts' rows"))
                    {
                        read.Accounts[account] = AccountRow.Read(row) ?? throw new BadState($"{path}.{account}", AccountRow.Expected, EndpointConfig.Describe(row));
                    }
                    break;
                case "pending":
                    foreach (var (stateKey, accounts) in Members(member.Value, path, "expected an object of the bindings' pending progress"))
                    {
                        var binding = read.Pending[stateKey] = new(StringComparer.Ordinal);
                        foreach (var (account, progress) in Members(accounts, $"{path}.{stateKey}", "expected an object of the accounts' progress"))
                        {
                            binding[account] = ReadProgress(progress, $"{path}.{stateKey}.{account}");
                        }
                    }
                    break;
                default:
                    throw new BadState(path, "expected only version, bindings, accounts and pending", "this member");
            }
        }
        return read;
    }

    private static StateColumn? ReadColumn(JsonElement column, string path)
    {
        if (column.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        Expect(column, JsonValueKind.Object, path, "expected a column: {\"stateKey\": …, \"backfill\": …, \"fullRefresh\": …}, or null");
        var stateKey = column.TryGetProperty("stateKey", out var key) && key.ValueKind == JsonValueKind.String && key.GetString() is { Length: > 0 } text
            ? text : throw new BadState(path + ".stateKey", "expected a binding's state key", Describe(column, "stateKey"));
        var backfill = Number(column, "backfill", path) ?? throw new BadState(path + ".backfill", "expected the binding's backfill counter", "nothing");
        var fullRefresh = column.TryGetProperty("fullRefresh", out var mode) && mode.ValueKind is JsonValueKind.True or JsonValueKind.False
            ? mode.GetBoolean() : throw new BadState(path + ".fullRefresh", "expected true or false", Describe(column, "fullRefresh"));
        return new StateColumn(stateKey, backfill, fullRefresh);
    }

    private static AccountState ReadProgress(JsonElement progress, string path)
    {
        Expect(progress, JsonValueKind.Object, path, "expected an account's progress in the binding");
        var state = new AccountState
        {
            Cursor = Number(progress, "cursor", path),
            Events = Number(progress, "events", path),
            LastRun = Number(progress, "lastRun", path),
            LastPass = Number(progress, "lastPass", path),
        };
        if (progress.TryGetProperty("ranges", out var ranges))
        {
            foreach (var (key, range) in Members(ranges, path + ".ranges", "expected an object of the ranges still to read"))
            {
                state.Pending[key] = ReadRange(range, $"{path}.ranges.{key}");
            }
        }
        return state;
    }

    private static RangeState ReadRange(JsonElement range, string path)
    {
        Expect(range, JsonValueKind.Object, path, "expected a range: {\"gte\": …, \"lt\": …}");
        var read = new RangeState
        {
            Gte = Number(range, "gte", path) ?? throw new BadState(path + ".gte", "expected unix seconds", "nothing"),
            Lt = Number(range, "lt", path) ?? throw new BadState(path + ".lt", "expected unix seconds", "nothing"),
            After = Text(range, "after", path),
            AfterCreated = Number(range, "afterCreated", path),
        };
        if (range.TryGetProperty("child", out var child) && child.ValueKind != JsonValueKind.Null)
        {
            Expect(child, JsonValueKind.Object, path + ".child", "expected a parent part-read: {\"parent\": …, \"after\": …}");
            read.Child = new ChildPosition(
                Text(child, "parent", path + ".child") ?? throw new BadState(path + ".child.parent", "expected a parent's id", "nothing"),
                Text(child, "after", path + ".child") ?? throw new BadState(path + ".child.after", "expected a child's id", "nothing"));
        }
        return read;
    }

    private static IEnumerable<(string Name, JsonElement Value)> Members(JsonElement element, string path, string expected)
    {
        Expect(element, JsonValueKind.Object, path, expected);
        // A null member is what a merge patch deletes: the runtime's merge leaves none, a hand-made state may.
        return element.EnumerateObject().Where(m => m.Value.ValueKind != JsonValueKind.Null).Select(m => (m.Name, m.Value));
    }

    private static long? Number(JsonElement owner, string name, string path)
    {
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) && number >= 0
            ? number : throw new BadState($"{path}.{name}", "expected a whole number of 0 or more", EndpointConfig.Describe(value));
    }

    private static string? Text(JsonElement owner, string name, string path)
    {
        if (!owner.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }
        return value.ValueKind == JsonValueKind.String ? value.GetString() : throw new BadState($"{path}.{name}", "expected a string", EndpointConfig.Describe(value));
    }

    private static void Expect(JsonElement element, JsonValueKind kind, string path, string expected)
    {
        if (element.ValueKind != kind)
        {
            throw new BadState(path, expected, EndpointConfig.Describe(element));
        }
    }

    private static string Describe(JsonElement owner, string name) => owner.TryGetProperty(name, out var value) ? EndpointConfig.Describe(value) : "nothing";

    /// <summary>The first value found wrong: ends the reading, and becomes the <see cref="StateProblem"/>.</summary>
    private sealed class BadState(string path, string expected, string found) : Exception
    {
        public string Path { get; } = path;

        public string Expected { get; } = expected;

        public string Found { get; } = found;
    }
}
