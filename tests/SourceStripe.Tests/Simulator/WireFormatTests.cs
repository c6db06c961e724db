using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using SourceStripe.Simulator;

namespace SourceStripe.Tests.Simulator;

/// <summary>The simulator's answers on the wire as Stripe sends them: indented JSON, gzip'd when the request accepts it;
/// the compact mode the benchmark compares with; and the body faults still detectable through compression.</summary>
public sealed class WireFormatTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static SimulatorOptions Options(WireFormat format = WireFormat.Stripe) =>
        new() { Seed = 13, ObjectsPerStream = 30, Clock = () => Now, WireFormat = format };

    /// <summary>A client that decompresses nothing and sends no Accept-Encoding of its own: the test sees the wire's bytes.</summary>
    private static HttpClient RawClient(DecompressionMethods decompression = DecompressionMethods.None)
    {
        var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = decompression });
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sk_live_simulator");
        return http;
    }

    private static async Task<(HttpResponseMessage Response, byte[] Body)> GetAsync(HttpClient http, Uri url, string? acceptEncoding = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (acceptEncoding is not null)
        {
            request.Headers.TryAddWithoutValidation("Accept-Encoding", acceptEncoding);
        }
        var response = await http.SendAsync(request);
        return (response, await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The same JSON as System.Text.Json indents it (two spaces, <c>"key": value</c>, <c>[]</c>, <c>{}</c>),
    /// which is Stripe's layout, plus Stripe's final newline.</summary>
    private static string Indented(ReadOnlySpan<byte> json)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            using var document = JsonDocument.Parse(json.ToArray());
            document.WriteTo(writer);
        }
        return Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n";
    }

    private static string Gunzip(byte[] body)
    {
        using var gzip = new GZipStream(new MemoryStream(body), CompressionMode.Decompress);
        using var text = new StreamReader(gzip, Encoding.UTF8);
        return text.ReadToEnd();
    }

    [Fact]
    public async Task A_list_page_is_one_document_indented_as_stripe_indents_it()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        using var http = RawClient();
        var charges = stripe.Account.Objects("charges");
        var (response, body) = await GetAsync(http, new Uri(stripe.BaseUrl, "/v1/charges?limit=3"));
        var text = Encoding.UTF8.GetString(body);
        Assert.StartsWith(
            "{\n  \"object\": \"list\",\n  \"url\": \"/v1/charges\",\n  \"has_more\": true,\n  \"data\": [\n    {\n" +
            $"      \"id\": \"{charges[0].Id}\",\n      \"object\": \"charge\",\n", text, StringComparison.Ordinal);
        Assert.EndsWith("\n    }\n  ]\n}\n", text, StringComparison.Ordinal);
        Assert.Equal(Indented(body), text);
        Assert.Contains("\n      \"metadata\": {", text, StringComparison.Ordinal);
        Assert.Null(response.Content.Headers.ContentEncoding.FirstOrDefault());
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        // The objects are the account's, whose canonical bytes stay compact.
        using var page = JsonDocument.Parse(body);
        var served = page.RootElement.GetProperty("data").EnumerateArray().Select(o => JsonSerializer.Serialize(o, JsonOptions)).ToList();
        Assert.Equal(charges.Take(3).Select(c => c.ToString()), served);
        Assert.DoesNotContain((byte)'\n', charges[0].Utf8.ToArray());
        response.Dispose();
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task Retrieves_events_errors_and_empty_pages_are_indented_too()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        using var http = RawClient();
        var customer = stripe.Create("customers", c => c["metadata"] = new System.Text.Json.Nodes.JsonObject());
        var eventId = stripe.Account.Events.First(e => e.EventType == "customer.created" && e.ToString().Contains((string)customer["id"]!, StringComparison.Ordinal)).Id;
        string[] paths =
        [
            $"/v1/customers/{customer["id"]}",
            $"/v1/events/{eventId}",
            "/v1/events?limit=1",
            "/v1/customers/cus_missing",
            "/v1/charges?created[lt]=1",
        ];
        var bodies = new List<string>();
        foreach (var path in paths)
        {
            var (response, body) = await GetAsync(http, new Uri(stripe.BaseUrl, path));
            Assert.Equal(Indented(body), Encoding.UTF8.GetString(body));
            bodies.Add(Encoding.UTF8.GetString(body));
            response.Dispose();
        }
        Assert.Contains("\n  \"metadata\": {},\n", bodies[0], StringComparison.Ordinal);
        Assert.Contains($"\n  \"data\": {{\n    \"object\": {{\n      \"id\": \"{customer["id"]}\",\n", bodies[1], StringComparison.Ordinal);
        Assert.Contains("\n      \"data\": {\n        \"object\": {\n          \"id\": \"", bodies[2], StringComparison.Ordinal);
        Assert.StartsWith("{\n  \"error\": {\n    \"code\": \"resource_missing\",\n", bodies[3], StringComparison.Ordinal);
        Assert.Contains("\n  \"data\": []\n}\n", bodies[4], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, false)]
    [InlineData("gzip", true)]
    [InlineData("gzip, deflate, br", true)]
    [InlineData("br;q=1.0, gzip;q=0.8", true)]
    [InlineData("x-gzip", true)]
    [InlineData("*", true)]
    [InlineData("identity", false)]
    [InlineData("deflate, br", false)]
    [InlineData("gzip;q=0", false)]
    [InlineData("GZIP; q=0.000", false)]
    [InlineData("*;q=0.5, gzip;q=0", false)]
    [InlineData("*;q=0", false)]
    public async Task The_body_is_gzipped_only_when_the_request_accepts_gzip(string? acceptEncoding, bool gzipped)
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        using var http = RawClient();
        var url = new Uri(stripe.BaseUrl, "/v1/charges?limit=20");
        var (plain, identity) = await GetAsync(http, url);
        var (response, body) = await GetAsync(http, url, acceptEncoding);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        Assert.Contains("Accept-Encoding", response.Headers.Vary);
        Assert.Equal(gzipped ? ["gzip"] : [], response.Content.Headers.ContentEncoding);
        Assert.Equal(Encoding.UTF8.GetString(identity), gzipped ? Gunzip(body) : Encoding.UTF8.GetString(body));
        if (gzipped)
        {
            Assert.True(body.Length < identity.Length / 4, $"{body.Length} gzip'd bytes for {identity.Length}");
        }
        plain.Dispose();
        response.Dispose();
    }

    [Fact]
    public async Task Compact_mode_answers_compact_json_never_gzipped_and_can_be_switched_at_run_time()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options(WireFormat.Compact));
        Assert.Equal(WireFormat.Compact, stripe.WireFormat);
        using var http = RawClient();
        var url = new Uri(stripe.BaseUrl, "/v1/charges?limit=2");
        var first = stripe.Account.Objects("charges")[0];
        var (compact, body) = await GetAsync(http, url, "gzip");
        Assert.Empty(compact.Content.Headers.ContentEncoding);
        Assert.DoesNotContain("Accept-Encoding", compact.Headers.Vary);
        Assert.Equal(body.Length, compact.Content.Headers.ContentLength);
        Assert.StartsWith("{\"object\":\"list\",\"url\":\"/v1/charges\",\"has_more\":true,\"data\":[" + first, Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        compact.Dispose();

        stripe.WireFormat = WireFormat.Stripe;
        var (stripeLike, gzipped) = await GetAsync(http, url, "gzip");
        Assert.Equal(["gzip"], stripeLike.Content.Headers.ContentEncoding);
        Assert.StartsWith("{\n  \"object\": \"list\",\n", Gunzip(gzipped), StringComparison.Ordinal);
        stripeLike.Dispose();
    }

    [Fact]
    public async Task Malformed_json_is_cut_before_compression_so_the_gzip_is_whole_and_the_json_is_not()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        var url = new Uri(stripe.BaseUrl, "/v1/charges?limit=10");
        using var raw = RawClient();
        stripe.InjectFault(Fault.Malformed());
        var (response, body) = await GetAsync(raw, url, "gzip");
        Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
        Assert.Equal(body.Length, response.Content.Headers.ContentLength);
        var json = Gunzip(body);
        Assert.StartsWith("{\n  \"object\": \"list\",\n", json, StringComparison.Ordinal);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(json));
        response.Dispose();

        using var decompressing = RawClient(DecompressionMethods.All);
        stripe.InjectFault(Fault.Malformed());
        var decoded = await decompressing.GetByteArrayAsync(url);
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(decoded));
    }

    [Fact]
    public async Task A_truncated_gzipped_body_is_cut_on_the_wire_and_fails_the_read_or_the_parse()
    {
        await using var stripe = await StripeSimulator.StartAsync(Options());
        var url = new Uri(stripe.BaseUrl, "/v1/charges?limit=10");
        using var raw = RawClient();
        stripe.InjectFault(Fault.Truncate());
        using (var request = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { { "Accept-Encoding", "gzip" } } })
        using (var response = await raw.SendAsync(request, HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(["gzip"], response.Content.Headers.ContentEncoding);
            Assert.True(response.Content.Headers.ContentLength > 0);
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => response.Content.ReadAsByteArrayAsync());
        }

        using var http = RawClient(DecompressionMethods.All);
        stripe.InjectFault(Fault.Truncate());
        byte[] received;
        try
        {
            received = await http.GetByteArrayAsync(url);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or InvalidDataException)
        {
            return;
        }
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(received));
    }
}
