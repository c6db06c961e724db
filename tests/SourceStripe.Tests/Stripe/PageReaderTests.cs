using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SourceStripe.Capture.Output;
using SourceStripe.Simulator;
using SourceStripe.Stripe;

namespace SourceStripe.Tests.Stripe;

/// <summary>
/// The one-pass page reader on pages written the way Stripe writes them (indented by two spaces, the
/// simulator's Stripe-sized objects): what it finds, the documents it copies, and every way a body can
/// arrive cut or garbled.
/// </summary>
public sealed class PageReaderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);

    private static readonly SimulatorAccount Account =
        new SimulatedStripeApi(new SimulatorOptions { Seed = 3, ObjectsPerStream = 12, Clock = () => Now }).Account;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Finds_every_object_with_its_id_and_cursor_indented_or_compact(bool indented)
    {
        var charges = Account.Objects("charges");
        var body = Page(charges.Select(c => c.ToJsonObject()), hasMore: true, indented);

        using var page = Parse(body, "created", null);

        Assert.True(page.HasMore);
        Assert.Equal(charges.Select(c => (c.Id, c.Created)), page.Items.Select(i => (i.Id, i.Created)));
        foreach (var (item, charge) in page.Items.Zip(charges))
        {
            Assert.True(JsonNode.DeepEquals(charge.ToJsonObject(), JsonNode.Parse(page.Raw(item))));
        }
    }

    [Fact]
    public void Copies_each_object_into_one_line_that_means_the_same()
    {
        var invoices = Account.Objects("invoices");
        using var page = Parse(Page(invoices.Select(i => i.ToJsonObject()), hasMore: false, indented: true), "created", "lines");
        var output = new ArrayBufferWriter<byte>();
        foreach (var item in page.Items)
        {
            DocumentLines.WriteCaptured(output, 3, page.Raw(item), "\"added\":1"u8);
        }

        var lines = Encoding.UTF8.GetString(output.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(invoices.Count, lines.Length);
        foreach (var (line, invoice) in lines.Zip(invoices))
        {
            var expected = invoice.ToJsonObject();
            expected["added"] = 1;
            var captured = JsonNode.Parse(line)!["captured"]!;
            Assert.Equal(3, captured["binding"]!.GetValue<int>());
            Assert.True(JsonNode.DeepEquals(expected, captured["doc"]));
        }
    }

    [Fact]
    public void Line_breaks_are_blanked_at_every_length_and_alignment()
    {
        var random = new Random(5);
        var source = new byte[300];
        random.NextBytes(source);
        for (var i = 0; i < source.Length; i += random.Next(1, 6))
        {
            source[i] = random.Next(2) == 0 ? (byte)'\n' : (byte)'\r';
        }
        for (var offset = 0; offset < 3; offset++)
        {
            for (var length = 0; length <= source.Length - offset; length++)
            {
                var from = source.AsSpan(offset, length);
                var expected = from.ToArray();
                expected.AsSpan().Replace((byte)'\n', (byte)' ');
                expected.AsSpan().Replace((byte)'\r', (byte)' ');
                var copy = new byte[length + 1];
                copy[length] = 42;
                DocumentLines.CopyOnOneLine(from, copy);
                Assert.Equal(expected, copy[..length]);
                Assert.Equal(42, copy[length]);
            }
        }
    }

    [Theory]
    [InlineData("""{"data": [{"id": "a", "created": 1, "x": [1, 2}], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a", "created": 1, "x": {"y": [}}], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a", "created": 1, "x": "open], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a", "created": 1, "x": 1], "has_more": false}""")]
    public void An_object_garbled_after_the_members_read_is_still_rejected(string body)
    {
        // Once id and created are read the rest of an object is stepped over in blocks, which still match
        // its brackets and end its strings.
        Assert.Throws<StripeResponseException>(() => Parse(Encoding.UTF8.GetBytes(body), "created", null).Dispose());
    }

    [Fact]
    public void Reads_a_parents_embedded_first_page_of_children()
    {
        var invoice = Account.Objects("invoices").First(i => i.ToJsonObject()["lines"]!["data"]!.AsArray().Count > 0);
        var lines = invoice.ToJsonObject()["lines"]!;

        using var page = Parse(Page([invoice.ToJsonObject()], hasMore: false, indented: true), "created", "lines");

        var embedded = page.Items[0].Embedded!;
        Assert.Equal(lines["has_more"]!.GetValue<bool>(), embedded.HasMore);
        Assert.Equal(lines["data"]!.AsArray().Select(l => l!["id"]!.GetValue<string>()), embedded.Items.Select(i => i.Id));
        Assert.True(JsonNode.DeepEquals(lines["data"]![0], JsonNode.Parse(page.Raw(embedded.Items[0]))));
    }

    [Fact]
    public void Every_cut_of_a_page_is_detected()
    {
        var body = Page(Account.Objects("customers").Take(2).Select(c => c.ToJsonObject()), hasMore: true, indented: true);
        var whole = Encoding.UTF8.GetString(body).TrimEnd();
        for (var length = 0; length < Encoding.UTF8.GetByteCount(whole); length++)
        {
            var cut = body[..length];
            Assert.Throws<StripeResponseException>(() => Parse(cut, "created", null).Dispose());
        }
    }

    [Theory]
    [InlineData("""{"data": [{"id": "a", "x": [1, 2}], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a"} {"id": "b"}], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a"},], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a", "x" 1}], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a", "x": @}], "has_more": false}""")]
    [InlineData("""{"data": [{"id": "a"}], "has_more": false} {}""")]
    [InlineData("""{"data": [{"id": 7}], "has_more": false}""")]
    [InlineData("""{"object": "list", "has_more": false}""")]
    [InlineData("""[{"id": "a"}]""")]
    public void A_garbled_page_is_rejected(string body)
    {
        Assert.Throws<StripeResponseException>(() => Parse(Encoding.UTF8.GetBytes(body), "created", null).Dispose());
    }

    [Fact]
    public void Strings_with_brackets_quotes_and_escapes_do_not_confuse_it()
    {
        const string Body = """
            {
              "object": "list",
              "data": [
                {
                  "id": "ch_\u0041\"1",
                  "description": "a } ] [ { \\\" \" trap",
                  "metadata": {"k": "}", "nested": [["]"], {"{": "["}]},
                  "created": 1700000000
                },
                {"id":"ch_2","created":1600000000}
              ],
              "has_more": false
            }
            """;
        using var page = Parse(Encoding.UTF8.GetBytes(Body), "created", null);

        Assert.Equal(["ch_A\"1", "ch_2"], page.Items.Select(i => i.Id));
        Assert.Equal([1700000000L, 1600000000L], page.Items.Select(i => i.Created));
        Assert.Equal("a } ] [ { \\\" \" trap", JsonNode.Parse(page.Raw(page.Items[0]))!["description"]!.GetValue<string>());
    }

    [Fact]
    public void Escapes_and_brackets_in_strings_are_read_right_wherever_they_fall_in_its_64_byte_blocks()
    {
        // Backslash runs of every length, escaped quotes and brackets, shifted byte by byte across block edges.
        const string Tricky = """\\\\\" ] } [ { \\\" \\ x\" {""";
        for (var pad = 0; pad < 140; pad++)
        {
            var nested = $$"""{"p": "{{new string('a', pad)}}", "s": "{{Tricky}}", "deep": [{"a": "\\"}, "\"", ["{{Tricky}}"]]}""";
            var body = $$"""{"data": [{"id": "x", "nested": {{nested}}, "created": 5}, {"id": "y", "created": 4}], "has_more": false}""";
            using var page = Parse(Encoding.UTF8.GetBytes(body), "created", null);

            Assert.Equal(["x", "y"], page.Items.Select(i => i.Id));
            Assert.Equal([5L, 4L], page.Items.Select(i => i.Created));
            var first = JsonNode.Parse(page.Raw(page.Items[0]))!;
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(nested), first["nested"]), $"pad {pad}");
        }
    }

    [Fact]
    public void Reads_an_indented_event_and_locates_its_object()
    {
        var charge = Account.Objects("charges")[0].ToJsonObject();
        var @event = new JsonObject
        {
            ["id"] = "evt_1",
            ["object"] = "event",
            ["api_version"] = "2026-10-28.endive",
            ["created"] = 1700000000,
            ["data"] = new JsonObject { ["object"] = charge.DeepClone(), ["previous_attributes"] = new JsonObject { ["id"] = "nope" } },
            ["type"] = "charge.updated",
        };
        var json = Encoding.UTF8.GetBytes(@event.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));

        var parsed = StripeEvent.Parse(json, ["customer"]);

        Assert.Equal(("evt_1", "charge.updated", 1700000000L, "2026-10-28.endive"), (parsed.Id, parsed.Type, parsed.Created, parsed.ApiVersion));
        Assert.Equal((charge["id"]!.GetValue<string>(), "charge"), (parsed.ObjectId, parsed.ObjectKind));
        Assert.Equal(charge["customer"]?.GetValue<string>(), parsed.ObjectFields.GetValueOrDefault("customer"));
        Assert.True(JsonNode.DeepEquals(charge, JsonNode.Parse(json.AsSpan(parsed.ObjectStart, parsed.ObjectLength))));
    }

    private static byte[] Page(IEnumerable<JsonObject> objects, bool hasMore, bool indented)
    {
        var page = new JsonObject { ["object"] = "list", ["data"] = new JsonArray([.. objects]), ["has_more"] = hasMore, ["url"] = "/v1/x" };
        return Encoding.UTF8.GetBytes(page.ToJsonString(new JsonSerializerOptions { WriteIndented = indented }));
    }

    /// <summary>Parses a copy in a rented buffer, as the client hands bodies over.</summary>
    private static ListPage Parse(ReadOnlySpan<byte> body, string? cursor, string? embedded)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, body.Length));
        body.CopyTo(buffer);
        return ListPage.Parse(buffer, body.Length, cursor, embedded, ArrayPool<byte>.Shared);
    }
}
