using System.Buffers;
using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>The first page of a child list as its parent embeds it (an invoice's <c>lines</c>, a subscription's <c>items</c>).</summary>
internal static class EmbeddedList
{
    public const int PageSize = 10;

    /// <summary>The child endpoint that lists the rest, as the embedded list's <c>url</c> names it.</summary>
    public static string Url(Resource child, string parentId)
    {
        if (child.ParentIn == ParentIn.Query)
        {
            return $"{child.Path}?{child.ParentParam}={parentId}";
        }
        var open = child.Path.IndexOf('{', StringComparison.Ordinal);
        var close = child.Path.IndexOf('}', open);
        return string.Concat(child.Path.AsSpan(0, open), parentId, child.Path.AsSpan(close + 1));
    }

    /// <param name="children">All children, in the order the child endpoint lists them.</param>
    /// <param name="url">The child endpoint that pages the rest.</param>
    public static byte[] Build(IReadOnlyList<ReadOnlyMemory<byte>> children, string url)
    {
        var buffer = new ArrayBufferWriter<byte>(256 + Math.Min(children.Count, PageSize) * 2048);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("object", "list");
            w.WriteStartArray("data");
            for (var i = 0; i < children.Count && i < PageSize; i++)
            {
                w.WriteRawValue(children[i].Span, skipInputValidation: true);
            }
            w.WriteEndArray();
            w.WriteBoolean("has_more", children.Count > PageSize);
            w.WriteNumber("total_count", children.Count);
            w.WriteString("url", url);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
