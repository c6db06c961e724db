using System.Text;
using SourceStripe.Tests.Docs;
using SourceStripe.Webhooks;

namespace SourceStripe.Tests.Webhooks;

/// <summary>
/// Every bad request tried against the listener, each answered as listed and none reaching the capture; the
/// table of docs/webhooks.md is what this test observed, row for row (its failure prints the table to paste).
/// </summary>
public sealed class BadRequestTableTests
{
    private const string Body = """{"id":"evt_1","object":"event","type":"customer.updated"}""";

    private sealed record Case(string Request, int? Expected, Func<TestListener, Task<(int? Status, string Text)>> Send);

    private static readonly long T = TestListener.Now.ToUnixTimeSeconds();

    private static Case Post(string request, int? expected, string? signature, string body = Body, string extraHeaders = "") =>
        new(request, expected, listener => RawHttp.SendAsync(listener,
            "POST /webhooks/stripe HTTP/1.1\r\nHost: h\r\nConnection: close\r\nContent-Type: application/json\r\n"
            + (signature is null ? "" : $"Stripe-Signature: {signature}\r\n") + extraHeaders
            + $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\n\r\n{body}"));

    private static Case Raw(string request, int? expected, string raw) => new(request, expected, listener => RawHttp.SendAsync(listener, raw));

    private static readonly Case[] Cases =
    [
        Raw("`GET /`", 405, "GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        Raw("`PUT` with a valid signature", 405, $"PUT / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nStripe-Signature: {TestListener.Signature(Body)}\r\nContent-Length: {Body.Length}\r\n\r\n{Body}"),
        Raw("`HEAD /`", 405, "HEAD / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        Post("`POST` without `Stripe-Signature`", 400, null),
        Post("`Stripe-Signature` twice (both valid)", 400, TestListener.Signature(Body), extraHeaders: $"Stripe-Signature: {TestListener.Signature(Body)}\r\n"),
        Post("`Stripe-Signature: garbage`", 400, "garbage"),
        Post("`t` not a number", 400, $"t=soon,v1={StripeSignatureTests.V1(TestListener.Secret, T, Body)}"),
        Post("no `t`", 400, $"v1={StripeSignatureTests.V1(TestListener.Secret, T, Body)}"),
        Post("two `t`", 400, $"t={T},t={T},v1={StripeSignatureTests.V1(TestListener.Secret, T, Body)}"),
        Post("only a `v0`, the valid HMAC", 400, $"t={T},v0={StripeSignatureTests.V1(TestListener.Secret, T, Body)}"),
        Post("`v1` under another secret", 401, TestListener.Signature(Body, secret: "whsec_someone_else")),
        Post("`v1` of another body (tampered)", 401, TestListener.Signature(Body.Replace("evt_1", "evt_2"))),
        Post("`v1` not hex", 401, $"t={T},v1={new string('z', 64)}"),
        Post("`t` 301 s ago, the valid HMAC", 401, TestListener.Signature(Body, T - 301)),
        Post("`t` 301 s ahead, the valid HMAC", 401, TestListener.Signature(Body, T + 301)),
        Raw("`Content-Length: 1048577` (1 MiB + 1)", 413,
            $"POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nStripe-Signature: {TestListener.Signature(Body)}\r\nContent-Length: 1048577\r\n\r\n"),
        new("chunked body of 1 MiB + 1", 413, listener => RawHttp.SendAsync(listener, Chunked(WebhookLimits.MaxBodyBytes + 1))),
        Raw("headers over 16 KiB", 431, $"POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nX-Junk: {new string('a', 17 * 1024)}\r\n\r\n"),
        Raw("40 headers", 431, "POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"X-{i}: {i}\r\n")) + "\r\n"),
        Raw("request line over 4 KiB", 414, $"POST /{new string('a', 5000)} HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"),
        Raw("not HTTP", 400, "hello\r\n\r\n"),
        Raw("HTTP/2 preface", null, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        Raw("`Content-Length: -1`", 400, $"POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nStripe-Signature: {TestListener.Signature(Body)}\r\nContent-Length: -1\r\n\r\n"),
    ];

    [Fact]
    public async Task Every_bad_request_gets_its_answer_and_reaches_nothing()
    {
        var observed = new List<string>();
        await using (var listener = await TestListener.StartAsync())
        {
            foreach (var @case in Cases)
            {
                var (status, text) = await @case.Send(listener);
                Assert.True(@case.Expected == status, $"{@case.Request}: expected {@case.Expected}, got {status} {text}");
                observed.Add(Row(@case.Request, status, text));
            }
            observed.Add(await BodyNeverFinishedAsync(listener));
            Assert.Empty(listener.Delivered);
        }
        observed.Add(await HeadersNeverFinishedAsync());

        var table = "| request | answer | reason given |\n|---|---|---|\n" + string.Join("\n", observed);
        var documented = MarkedText.TableRows(MarkedText.Read("docs/webhooks.md"), "bad-requests").Select(r => "| " + string.Join(" | ", r) + " |");
        Assert.True(observed.SequenceEqual(documented), "docs/webhooks.md's bad-requests table should be:\n" + table);
    }

    /// <summary>A sender that declares a body and stops: cut off when the listener's clock passes the body timeout.</summary>
    private static async Task<string> BodyNeverFinishedAsync(TestListener listener)
    {
        using var socket = await listener.ConnectAsync();
        // Expect: 100-continue makes the server say when it starts reading the body, its deadline set.
        await socket.SendAsync(Encoding.ASCII.GetBytes(
            $"POST / HTTP/1.1\r\nHost: h\r\nStripe-Signature: {TestListener.Signature(Body)}\r\nContent-Length: {Body.Length}\r\nExpect: 100-continue\r\n\r\n"));
        await RawHttp.WaitForAsync(socket, "100 Continue");
        await socket.SendAsync(Encoding.ASCII.GetBytes(Body[..10]));
        listener.Clock.Advance(WebhookLimits.Default.BodyTimeout);
        var (status, text) = RawHttp.Parse(await RawHttp.ReadUntilClosedAsync(socket));
        Assert.Null(status);
        return Row($"body stops after 10 of {Body.Length} bytes", status, text, "closed after the body timeout (20 s)");
    }

    /// <summary>A sender that never finishes its headers: Kestrel closes it at the header timeout (shortened here).</summary>
    private static async Task<string> HeadersNeverFinishedAsync()
    {
        await using var listener = await TestListener.StartAsync(new WebhookLimits { RequestHeadersTimeout = TimeSpan.FromSeconds(1) });
        using var socket = await listener.ConnectAsync();
        await socket.SendAsync(Encoding.ASCII.GetBytes("POST / HTTP/1.1\r\nHost: h\r\n"));
        var (status, text) = RawHttp.Parse(await RawHttp.ReadUntilClosedAsync(socket));
        Assert.Empty(listener.Delivered);
        return Row("headers never finished", status, text, "closed after the header timeout (10 s)");
    }

    private static string Row(string request, int? status, string text, string closed = "closed, no answer") =>
        $"| {request} | {(status is null ? closed : status.ToString())} | {(text.Length == 0 ? "–" : text)} |";

    private static byte[] Chunked(int size)
    {
        var body = new byte[size];
        body.AsSpan().Fill((byte)'a');
        var head = $"POST / HTTP/1.1\r\nHost: h\r\nConnection: close\r\nStripe-Signature: {TestListener.Signature(body)}\r\nTransfer-Encoding: chunked\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. Encoding.ASCII.GetBytes($"{size:x}\r\n"), .. body, .. "\r\n0\r\n\r\n"u8];
    }
}
