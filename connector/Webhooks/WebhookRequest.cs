using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SourceStripe.Logging;

namespace SourceStripe.Webhooks;

/// <summary>
/// One delivery, checked in the order that costs a stranger the least: method, declared length, signature
/// header and its time, then the body, read within bounds, and its HMAC. Only then does the capture see it.
/// Neither the body nor a secret is ever logged or echoed.
/// </summary>
internal sealed class WebhookRequest(StripeSignature signature,
    Func<ReadOnlyMemory<byte>, CancellationToken, Task<WebhookAnswer>> deliver, TimeProvider clock, WebhookLimits limits,
    CancellationToken stopping)
{
    private long _bodyBytesInFlight;

    public async Task ServeAsync(IFeatureCollection features)
    {
        var request = features.Get<IHttpRequestFeature>()!;
        var aborted = features.Get<IHttpRequestLifetimeFeature>()?.RequestAborted ?? CancellationToken.None;
        if (!HttpMethods.IsPost(request.Method))
        {
            await AnswerAsync(features, StatusCodes.Status405MethodNotAllowed, "only POST is accepted").ConfigureAwait(false);
            return;
        }
        var declared = request.Headers.ContentLength;
        if (declared > WebhookLimits.MaxBodyBytes)
        {
            await AnswerAsync(features, StatusCodes.Status413PayloadTooLarge, "body larger than 1 MiB").ConfigureAwait(false);
            return;
        }
        var header = request.Headers["Stripe-Signature"];
        var check = header.Count > 1 ? SignatureCheck.Malformed : StripeSignature.CheckHeader(header.Count == 1 ? header[0] : null, clock.GetUtcNow());
        if (check != SignatureCheck.Valid)
        {
            await RefuseAsync(features, check).ConfigureAwait(false);
            return;
        }

        var reserved = declared ?? WebhookLimits.MaxBodyBytes;
        if (Interlocked.Add(ref _bodyBytesInFlight, reserved) > limits.MaxBodyBytesInFlight)
        {
            Interlocked.Add(ref _bodyBytesInFlight, -reserved);
            await AnswerAsync(features, StatusCodes.Status503ServiceUnavailable, "busy: deliver again later").ConfigureAwait(false);
            return;
        }
        try
        {
            var body = await ReadBodyAsync(features, request.Body, declared, aborted).ConfigureAwait(false);
            if (body is null)
            {
                return;
            }
            check = signature.Verify(header[0], body.Value.Span, clock.GetUtcNow());
            if (check != SignatureCheck.Valid)
            {
                await RefuseAsync(features, check).ConfigureAwait(false);
                return;
            }
            await DeliverAsync(features, body.Value, aborted).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Add(ref _bodyBytesInFlight, -reserved);
        }
    }

    /// <summary>The whole body, or null once the caller has been answered (too large, too slow, malformed framing).</summary>
    private async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(IFeatureCollection features, Stream source, long? declared, CancellationToken aborted)
    {
        // Without a declared length (chunked), room for one byte past the limit tells a body that is too large.
        var buffer = new byte[declared ?? Math.Min(16 * 1024, WebhookLimits.MaxBodyBytes + 1)];
        var read = 0;
        using var deadline = new CancellationTokenSource(limits.BodyTimeout, clock);
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(aborted, deadline.Token, stopping);
        try
        {
            while (true)
            {
                if (read == buffer.Length)
                {
                    if (declared is not null || buffer.Length > WebhookLimits.MaxBodyBytes)
                    {
                        break;
                    }
                    Array.Resize(ref buffer, Math.Min(buffer.Length * 2, WebhookLimits.MaxBodyBytes + 1));
                }
                var count = await source.ReadAsync(buffer.AsMemory(read), reading.Token).ConfigureAwait(false);
                if (count == 0)
                {
                    break;
                }
                read += count;
            }
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own bounds: a body over MaxRequestBodySize (413), slower than the minimum rate (408), bad chunks (400).
            await AnswerAsync(features, e.StatusCode, e.StatusCode == StatusCodes.Status413PayloadTooLarge ? "body larger than 1 MiB" : "unreadable body").ConfigureAwait(false);
            return null;
        }
        catch (Exception e) when (e is IOException || (e is OperationCanceledException && (aborted.IsCancellationRequested || stopping.IsCancellationRequested)))
        {
            // The caller hung up mid-body, or the listener is stopping: there is no one to answer.
            return null;
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            Log.Debug("Refused a webhook request", ("status", 408), ("reason", "body not received in time"));
            features.Get<IHttpRequestLifetimeFeature>()?.Abort();
            return null;
        }
        if (read > WebhookLimits.MaxBodyBytes)
        {
            await AnswerAsync(features, StatusCodes.Status413PayloadTooLarge, "body larger than 1 MiB").ConfigureAwait(false);
            return null;
        }
        return buffer.AsMemory(0, read);
    }

    private async Task DeliverAsync(IFeatureCollection features, ReadOnlyMemory<byte> body, CancellationToken aborted)
    {
        using var delivering = CancellationTokenSource.CreateLinkedTokenSource(aborted, stopping);
        WebhookAnswer answer;
        try
        {
            answer = await deliver(body, delivering.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (delivering.IsCancellationRequested)
        {
            // Stopped, or the caller hung up: nothing was acknowledged, so Stripe must deliver it again.
            answer = WebhookAnswer.Retry;
        }
        catch (Exception e)
        {
            // The exception's type and message only: the body stays out of the log.
            Log.Error("The capture failed on a webhook delivery", ("error", e.GetType().Name), ("message", e.Message));
            await AnswerAsync(features, StatusCodes.Status500InternalServerError, "the capture failed on this event").ConfigureAwait(false);
            return;
        }
        await (answer switch
        {
            WebhookAnswer.Captured => AnswerAsync(features, StatusCodes.Status200OK, "captured"),
            WebhookAnswer.Ignored => AnswerAsync(features, StatusCodes.Status200OK, "not captured by this task"),
            _ => AnswerAsync(features, StatusCodes.Status503ServiceUnavailable, "not captured in time: deliver again"),
        }).ConfigureAwait(false);
    }

    private static Task RefuseAsync(IFeatureCollection features, SignatureCheck check)
    {
        var (status, reason) = check switch
        {
            SignatureCheck.Missing => (StatusCodes.Status400BadRequest, "no Stripe-Signature header"),
            SignatureCheck.Malformed => (StatusCodes.Status400BadRequest, "malformed Stripe-Signature header"),
            SignatureCheck.TooOld => (StatusCodes.Status401Unauthorized, "signature timestamp too old"),
            SignatureCheck.TooNew => (StatusCodes.Status401Unauthorized, "signature timestamp in the future"),
            _ => (StatusCodes.Status401Unauthorized, "no valid signature for this body"),
        };
        return AnswerAsync(features, status, reason);
    }

    private static async Task AnswerAsync(IFeatureCollection features, int status, string reason)
    {
        if (status >= 400)
        {
            // Debug only: a flood of junk must not become a flood of log lines.
            Log.Debug("Refused a webhook request", ("status", status), ("reason", reason));
        }
        var response = features.Get<IHttpResponseFeature>()!;
        if (response.HasStarted)
        {
            return;
        }
        var text = Encoding.UTF8.GetBytes(reason + "\n");
        response.StatusCode = status;
        response.Headers.ContentType = "text/plain; charset=utf-8";
        response.Headers.ContentLength = text.Length;
        if (status == StatusCodes.Status405MethodNotAllowed)
        {
            response.Headers.Allow = "POST";
        }
        await features.Get<IHttpResponseBodyFeature>()!.Writer.WriteAsync(text).ConfigureAwait(false);
    }
}
