using System.Buffers;
using System.Globalization;
using System.IO.Compression;

namespace SourceStripe.Simulator.Server;

/// <summary>
/// A JSON answer as it goes on the wire in the <see cref="WireFormat"/> chosen: Stripe's indented JSON, gzip'd when
/// the request accepts it, or compact JSON. A malformed-JSON fault cuts the JSON itself, before compression, so that
/// the client receives a valid gzip stream of truncated JSON, as a server bug would produce it.
/// </summary>
internal static class WireEncoding
{
    public static SimulatedResponse Encode(SimulatedResponse answer, WireFormat format, string? acceptEncoding, bool cutJson)
    {
        var json = answer.Headers.Any(h => h is { Key: "Content-Type", Value: "application/json" });
        if (!json || format == WireFormat.Compact)
        {
            return cutJson ? answer with { Body = answer.Body[..(answer.Body.Length / 2)] } : answer;
        }
        using var indented = new PooledBuffer(answer.Body.Length + answer.Body.Length / 2);
        JsonIndenter.Indent(answer.Body, indented);
        var text = indented.WrittenSpan;
        if (cutJson)
        {
            text = text[..(text.Length / 2)];
        }
        // The answer depends on Accept-Encoding whether or not this one is compressed: caches must know.
        List<KeyValuePair<string, string>> headers = [.. answer.Headers, new("Vary", "Accept-Encoding")];
        if (!AcceptsGzip(acceptEncoding))
        {
            return answer with { Body = text.ToArray(), Headers = headers };
        }
        headers.Add(new("Content-Encoding", "gzip"));
        return answer with { Body = Gzip(text), Headers = headers };
    }

    /// <summary>
    /// Whether an <c>Accept-Encoding</c> value (RFC 9110 §12.5.3) accepts gzip: <c>gzip</c> (or <c>x-gzip</c>) or
    /// <c>*</c> listed with a weight above zero; <c>q=0</c> means "not acceptable", and an explicit <c>gzip</c>
    /// weight overrides <c>*</c>'s. No header means no compression: a client that sends none may not decode it.
    /// </summary>
    public static bool AcceptsGzip(string? acceptEncoding)
    {
        double? gzip = null, any = null;
        foreach (var coding in (acceptEncoding ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = coding.Split(';', StringSplitOptions.TrimEntries);
            var weight = parts.Skip(1).Where(p => p.StartsWith("q=", StringComparison.OrdinalIgnoreCase)).Select(Weight).FirstOrDefault(1.0);
            if (parts[0].Equals("gzip", StringComparison.OrdinalIgnoreCase) || parts[0].Equals("x-gzip", StringComparison.OrdinalIgnoreCase))
            {
                gzip = Math.Max(gzip ?? 0, weight);
            }
            else if (parts[0] == "*")
            {
                any = weight;
            }
        }
        return (gzip ?? any ?? 0) > 0;
    }

    /// <summary>A <c>q=</c> parameter's weight; one that does not parse counts as zero rather than guess a preference.</summary>
    private static double Weight(string parameter) =>
        double.TryParse(parameter.AsSpan(2), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var q) ? q : 0;

    private static byte[] Gzip(ReadOnlySpan<byte> data)
    {
        // Deflate stores what it cannot compress with a few bytes per block, so the output never outgrows this bound.
        var bound = data.Length + (data.Length / 64) + 64;
        var buffer = ArrayPool<byte>.Shared.Rent(bound);
        try
        {
            using var output = new MemoryStream(buffer, 0, bound, writable: true);
            // Fastest: the simulator shares two cores with the connector it serves, and Stripe's ratio is not the point.
            using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(data);
            }
            return buffer.AsSpan(0, (int)output.Position).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
