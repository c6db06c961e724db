using System.Buffers;

namespace SourceStripe.Stripe;

/// <summary>Ownership rules for response bodies held in buffers rented from a pool.</summary>
internal static class PooledJson
{
    /// <summary>Runs <paramref name="parse"/> over a rented buffer; on failure the buffer goes back to <paramref name="pool"/>.</summary>
    public static T ParseOrReturn<T>(byte[] buffer, ArrayPool<byte> pool, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch
        {
            pool.Return(buffer);
            throw;
        }
    }

    /// <summary>Returns a rented buffer once, however often its owner is disposed.</summary>
    public static void Return(ref byte[] buffer, ArrayPool<byte> pool)
    {
        var rented = Interlocked.Exchange(ref buffer, []);
        if (rented.Length > 0)
        {
            pool.Return(rented);
        }
    }
}
