using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SourceStripe.Capture;

/// <summary>
/// Writes an account's state in one short string while it has no range pending (the usual state of an
/// account that has caught up, and so of nearly every account of a large platform), and as an object while
/// it has. The string lists <c>cursor</c>, <c>events</c>, <c>lastRun</c> and <c>lastPass</c>, comma
/// separated: the first one present in unix seconds, the others as their difference from it (they lie
/// within minutes of each other), an absent one empty, trailing empties left out. So
/// <c>"1764650000,-61,30"</c> is cursor 1764650000, events 1764649939 and lastRun 1764650030. Both shapes are
/// read, the object one also as written before the string existed.
/// </summary>
public sealed class AccountStateConverter : JsonConverter<AccountState>
{
    /// <summary>What a state that is neither shape is told (it begins "expected" so that open's error can say it as it is).</summary>
    public const string Expected = "expected an account's cursors: an object, or a string of at most four comma-separated whole numbers";

    public override AccountState Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => Decode(reader.GetString()!),
        JsonTokenType.StartObject => ReadObject(ref reader),
        _ => throw new JsonException(Expected),
    };

    public override void Write(Utf8JsonWriter writer, AccountState value, JsonSerializerOptions options)
    {
        // A finished range is null until this patch deletes it: replacing the whole object with a string deletes it too.
        if (value.PendingRanges.Values.All(range => range is null))
        {
            writer.WriteStringValue(Encode(value));
            return;
        }
        writer.WriteStartObject();
        WriteIfSet(writer, "cursor", value.Cursor);
        WriteIfSet(writer, "events", value.Events);
        writer.WritePropertyName("pending");
        JsonSerializer.Serialize(writer, value.Pending, StateJson.Default.DictionaryStringRangeState);
        WriteIfSet(writer, "lastPass", value.LastPass);
        WriteIfSet(writer, "lastRun", value.LastRun);
        writer.WriteEndObject();
    }

    public static string Encode(AccountState state)
    {
        long?[] fields = [state.Cursor, state.Events, state.LastRun, state.LastPass];
        long? origin = null;
        var parts = new string[fields.Length];
        for (var i = 0; i < fields.Length; i++)
        {
            parts[i] = fields[i] is { } value ? (value - (origin ?? 0)).ToString(CultureInfo.InvariantCulture) : "";
            origin ??= fields[i];
        }
        return string.Join(',', parts).TrimEnd(',');
    }

    public static AccountState Decode(string text)
    {
        var parts = text.Length == 0 ? [] : text.Split(',');
        if (parts.Length > 4)
        {
            throw new JsonException(Expected);
        }
        var fields = new long?[4];
        long? origin = null;
        for (var i = 0; i < parts.Length; i++)
        {
            if (parts[i].Length == 0)
            {
                continue;
            }
            if (!long.TryParse(parts[i], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                throw new JsonException(Expected);
            }
            fields[i] = origin is { } first ? first + number : number;
            origin ??= number;
        }
        return new AccountState { Cursor = fields[0], Events = fields[1], LastRun = fields[2], LastPass = fields[3] };
    }

    private static AccountState ReadObject(ref Utf8JsonReader reader)
    {
        var state = new AccountState();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "cursor": state.Cursor = Number(ref reader); break;
                case "events": state.Events = Number(ref reader); break;
                case "lastPass": state.LastPass = Number(ref reader); break;
                case "lastRun": state.LastRun = Number(ref reader); break;
                case "pending":
                    state.Pending = JsonSerializer.Deserialize(ref reader, StateJson.Default.DictionaryStringRangeState) ?? [];
                    break;
                default: reader.Skip(); break;
            }
        }
        return state;
    }

    private static long? Number(ref Utf8JsonReader reader) => reader.TokenType == JsonTokenType.Null ? null : reader.GetInt64();

    private static void WriteIfSet(Utf8JsonWriter writer, string name, long? value)
    {
        if (value is { } set)
        {
            writer.WriteNumber(name, set);
        }
    }
}
