using System.Text;
using SourceStripe.Streams;

namespace SourceStripe.Stripe;

/// <summary>Builds a list request's path and query string.</summary>
public static class StripeQuery
{
    /// <summary>
    /// The list URL of <paramref name="stream"/>: its path and fixed query, <c>{param}</c> replaced by
    /// <paramref name="parentId"/>, then <paramref name="extra"/> parameters.
    /// </summary>
    public static string ListPath(StreamDescriptor stream, string? parentId, params ReadOnlySpan<KeyValuePair<string, string>> extra)
    {
        var placeholder = stream.Parent is { } parent ? "{" + parent.Param + "}" : null;
        var path = Fill(stream.Path, placeholder, parentId, escape: true);
        var sb = new StringBuilder(path);
        var separator = '?';
        foreach (var (key, value) in stream.Query)
        {
            Append(sb, ref separator, key, Fill(value, placeholder, parentId, escape: false));
        }
        foreach (var (key, value) in extra)
        {
            Append(sb, ref separator, key, value);
        }
        return sb.ToString();
    }

    /// <summary>The path that retrieves one object of <paramref name="stream"/>: its list path (a child's filled with <paramref name="parentId"/>) and the id.</summary>
    public static string ObjectPath(StreamDescriptor stream, string? parentId, string id)
    {
        var placeholder = stream.Parent is { } parent ? "{" + parent.Param + "}" : null;
        return Fill(stream.Path, placeholder, parentId, escape: true) + "/" + Uri.EscapeDataString(id);
    }

    private static string Fill(string template, string? placeholder, string? parentId, bool escape)
    {
        if (placeholder is null || !template.Contains(placeholder, StringComparison.Ordinal))
        {
            return template;
        }
        if (parentId is null)
        {
            throw new InvalidOperationException($"{template} needs a parent id");
        }
        return template.Replace(placeholder, escape ? Uri.EscapeDataString(parentId) : parentId, StringComparison.Ordinal);
    }

    private static void Append(StringBuilder sb, ref char separator, string key, string value)
    {
        sb.Append(separator).Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        separator = '&';
    }
}
