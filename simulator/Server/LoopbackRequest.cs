using System.Globalization;
using System.Text;

namespace SourceStripe.Simulator.Server;

/// <summary>An HTTP/1.x request line and its headers, as <see cref="LoopbackServer"/> reads them.</summary>
internal sealed class LoopbackRequest
{
    private readonly Dictionary<string, string> _headers = new(StringComparer.OrdinalIgnoreCase);

    private LoopbackRequest(string method, string path, string query, bool http11)
    {
        Method = method;
        Path = path;
        Query = query;
        Http11 = http11;
    }

    public string Method { get; }

    /// <summary>Percent-decoded, as web servers hand paths on.</summary>
    public string Path { get; }

    /// <summary>The raw query after '?', still encoded.</summary>
    public string Query { get; }

    public bool Http11 { get; }

    /// <summary>Every header (case-insensitive names, repeated values comma-joined).</summary>
    public IReadOnlyDictionary<string, string> Headers => _headers;

    /// <summary>A header's value, repeated headers comma-joined; null when absent.</summary>
    public string? Header(string name) => _headers.GetValueOrDefault(name);

    /// <summary>Whether the client lets the connection carry another request after this one.</summary>
    public bool KeepAlive => Http11 && !HasToken("Connection", "close");

    /// <summary>A body whose end cannot be known without decoding chunks, which this server does not do.</summary>
    public bool HasUnframedBody => Header("Transfer-Encoding") is not null;

    public bool ExpectsContinue => HasToken("Expect", "100-continue");

    /// <summary>Parses a request head (without its blank line); null when it is not valid HTTP/1.x.</summary>
    public static LoopbackRequest? Parse(ReadOnlySpan<byte> head)
    {
        // Latin-1 maps each byte to one char, so no byte sequence can make decoding itself fail.
        var lines = Encoding.Latin1.GetString(head).Split("\r\n");
        var parts = lines[0].Split(' ');
        if (parts.Length != 3 || !IsToken(parts[0]) || parts[2] is not ("HTTP/1.1" or "HTTP/1.0") || Target(parts[1]) is not { } target)
        {
            return null;
        }
        var question = target.IndexOf('?', StringComparison.Ordinal);
        var path = question < 0 ? target : target[..question];
        var request = new LoopbackRequest(parts[0], path.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(path) : path,
            question < 0 ? "" : target[(question + 1)..], parts[2] == "HTTP/1.1");
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            // No name, whitespace before the colon, or a folded continuation line: RFC 9112 says reject.
            if (colon <= 0 || !IsToken(line[..colon]))
            {
                return null;
            }
            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(' ', '\t');
            request._headers[name] = request._headers.TryGetValue(name, out var earlier) ? earlier + "," + value : value;
        }
        return request;
    }

    /// <summary>The declared body length: 0 when none, null when the header is not one non-negative integer.</summary>
    public long? ContentLength() =>
        Header("Content-Length") is not { } text ? 0
        : long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var length) ? length : null;

    /// <summary>The path and query of an origin-form (<c>/v1/x?y</c>) or absolute-form (<c>http://host/v1/x?y</c>) target.</summary>
    private static string? Target(string target)
    {
        if (target.StartsWith('/'))
        {
            return target;
        }
        var scheme = target.IndexOf("://", StringComparison.Ordinal);
        if (scheme <= 0)
        {
            return null;
        }
        var slash = target.IndexOf('/', scheme + 3);
        var query = target.IndexOf('?', scheme + 3);
        return slash >= 0 && (query < 0 || slash < query) ? target[slash..] : "/" + (query >= 0 ? target[query..] : "");
    }

    private bool HasToken(string header, string token) =>
        Header(header) is { } value && value.Split(',').Any(t => t.Trim().Equals(token, StringComparison.OrdinalIgnoreCase));

    private static bool IsToken(string text) =>
        text.Length > 0 && text.All(c => c is > ' ' and < '\u007f' and not ('(' or ')' or ',' or '/' or ':' or ';' or '<' or '=' or '>'
            or '?' or '@' or '[' or '\\' or ']' or '{' or '}' or '"'));
}
