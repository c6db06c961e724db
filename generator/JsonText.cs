using System.Globalization;
using System.Text;

namespace SourceStripe.Generator;

/// <summary>Minimal JSON text helpers: the generator runs on netstandard2.0 without System.Text.Json.</summary>
internal static class JsonText
{
    public static string Quote(string value)
    {
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c < 0x20)
                    {
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        sb.Append(c);
                    }
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    public static string Object(IEnumerable<KeyValuePair<string, string>> members) =>
        "{" + string.Join(",", members.Select(m => Quote(m.Key) + ":" + m.Value)) + "}";

    public static string Array(IEnumerable<string> rawItems) => "[" + string.Join(",", rawItems) + "]";

    public static KeyValuePair<string, string> Member(string name, string rawValue) => new(name, rawValue);
}
