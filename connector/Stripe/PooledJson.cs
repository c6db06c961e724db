using System.Buffers;
using System.Text.Json;

namespace SourceStripe.Stripe;

/// <summary>Ownership rules for response bodies held in buffers rented from the shared pool.</summary>
internal static class PooledJson
{
    /// <summary>Runs <paramref name="parse"/> over a rented buffer; on failure the buffer goes back to the pool.</summary>
    public static T ParseOrReturn<T>(byte[] buffer, string what, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (JsonException e)
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw new StripeResponseException($"{what} is not valid JSON ({e.Message})");
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>Returns a rented buffer once, however often its owner is disposed.</summary>
    public static void Return(ref byte[] buffer)
    {
        var rented = Interlocked.Exchange(ref buffer, []);
        if (rented.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
