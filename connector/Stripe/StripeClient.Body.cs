using System.Collections.Concurrent;
using SourceStripe.Buffers;

namespace SourceStripe.Stripe;

/// <summary>How a response body is read: into a buffer of the memory budget, sized by the recent answers of its kind, after waiting for room when the caller holds nothing.</summary>
public sealed partial class StripeClient
{
    private const int MaxBodyBytes = 64 * 1024 * 1024;

    private readonly ConcurrentDictionary<string, int> _bodySizes = new(StringComparer.Ordinal);

    /// <summary>
    /// GETs a path into a buffer of the memory budget, decompressing as the bytes arrive; an error status
    /// becomes <see cref="StripeApiException"/>. A gzip'd answer declares no length, so the buffer is sized by
    /// the largest recent answer from the same operation (<see cref="RequestEndpoint.OperationOf"/>, <see cref="RememberSize"/>),
    /// and grows only when a page is larger than those.
    /// With a <paramref name="request"/> budget, the body waits for room in the memory budget once the headers are in,
    /// both clocks stopped: Stripe has answered, and the bytes wait in the socket until the capture can take them.
    /// It waits for room for two buffers of its size, the body and the lines it becomes. The body is rented out of
    /// that room, and what is left of it is returned for the lines, so that no other page is let into the room
    /// they will take between the read and the making of the lines.
    /// </summary>
    private async Task<(byte[] Buffer, int Length, MemoryBudget.Admission? LinesRoom)> GetBodyAsync(string pathAndQuery, RequestEndpoint endpoint, RequestBudget attempt, RequestBudget? request)
    {
        var cancellation = attempt.Token;
        using var message = Get(pathAndQuery, endpoint.Account);
        using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
        if (response.Headers.Date is { } serverTime)
        {
            ServerClock.Observe(serverTime);
        }
        var path = pathAndQuery.Split('?')[0];
        var sizeKey = endpoint.Operation;
        var declared = response.Content.Headers.ContentLength;
        var known = _bodySizes.TryGetValue(sizeKey, out var recent);
        var expected = declared is > 0 and < MaxBodyBytes ? (int)declared.Value : recent + 1;
        MemoryBudget.Admission? admission = null;
        if (request is not null)
        {
            // The body is read into the room it was admitted with, so that growing from a smaller buffer uses none of the lines' room.
            expected = known ? expected : Math.Max(expected, FirstPageGuess);
            admission = await AdmitAsync(expected, attempt, request).ConfigureAwait(false);
        }
        var buffer = Rent(expected, admission);
        var length = 0;
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
            while (true)
            {
                if (length == buffer.Length)
                {
                    if (buffer.Length >= MaxBodyBytes)
                    {
                        throw new StripeResponseException($"the response to GET {path} is larger than {MaxBodyBytes / (1024 * 1024)} MiB");
                    }
                    var larger = Rent(buffer.Length * 2, admission);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    _memory.Return(buffer);
                    buffer = larger;
                }
                var read = await body.ReadAsync(buffer.AsMemory(length), cancellation).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
            if (declared is { } promised && promised != length)
            {
                throw new StripeResponseException($"the response to GET {path} ended after {length} of {promised} bytes");
            }
            if (!response.IsSuccessStatusCode)
            {
                throw new StripeApiException(response.StatusCode, StripeError.Parse(buffer.AsSpan(0, length)), pathAndQuery, ShouldRetryHeader(response), RetryAfter(response),
                    response.Headers.TryGetValues("Stripe-Rate-Limited-Reason", out var reasons) ? reasons.FirstOrDefault() : null);
            }
            RememberSize(sizeKey, length);
            return (buffer, length, admission);
        }
        catch
        {
            _memory.Return(buffer);
            admission?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Keeps the largest size of an operation's answers, forgetting an eighth of its excess over each smaller
    /// one: the room a body waits for is its expected size, and a body that outgrows it takes memory nobody
    /// admitted (its larger buffer and then its lines). Sized by the last answer alone, every page a little
    /// larger than the one before did, several at once without latency, and the capture held twice its limit.
    /// </summary>
    private void RememberSize(string operation, int length) =>
        _bodySizes.AddOrUpdate(operation, length, (_, previous) => Math.Max(length, previous - ((previous - length) / 8)));

    private byte[] Rent(int minimumLength, MemoryBudget.Admission? admission) =>
        admission is null ? _memory.Rent(minimumLength) : admission.Rent(minimumLength);

    /// <summary>
    /// The room a page of a kind never read before waits for: its size is unknown, and the first pages of
    /// every range of a backfill start together (a page of 100 of Stripe's larger objects, indented, takes
    /// about this much).
    /// </summary>
    private const int FirstPageGuess = 512 * 1024;

    private async ValueTask<MemoryBudget.Admission> AdmitAsync(int expected, RequestBudget attempt, RequestBudget request)
    {
        using (attempt.Pause())
        using (request.Pause())
        {
            return await _memory.AdmitAsync(expected, 2, request.Caller).ConfigureAwait(false);
        }
    }
}
