using System.Buffers;

namespace SourceStripe.Stripe;

/// <summary>A retrieved Stripe object in a pooled buffer, with whether Stripe reports it deleted.</summary>
public sealed class FetchedObject : IDisposable
{
    private byte[] _buffer;
    private readonly int _length;
    private readonly ArrayPool<byte> _pool;

    private FetchedObject(byte[] buffer, int length, ArrayPool<byte> pool, bool deleted)
    {
        _buffer = buffer;
        _pool = pool;
        _length = length;
        Deleted = deleted;
    }

    public ReadOnlySpan<byte> Json => _buffer.AsSpan(0, _length);

    /// <summary>Stripe answers a retrieve of some deleted objects with <c>{"id":…,"deleted":true}</c>.</summary>
    public bool Deleted { get; }

    public static FetchedObject Parse(byte[] buffer, int length, ArrayPool<byte> pool) => PooledJson.ParseOrReturn(buffer, pool, () =>
        {
            var scanner = new JsonScanner(buffer.AsSpan(0, length), "a retrieved object");
            if (scanner.Peek() != (byte)'{')
            {
                throw new StripeResponseException("a retrieved object is not a JSON object");
            }
            scanner.Expect((byte)'{');
            var deleted = false;
            var started = false;
            while (scanner.NextMember(ref started, out var name))
            {
                if (name.SequenceEqual("deleted"u8))
                {
                    deleted = scanner.ReadBoolean() == true;
                }
                else
                {
                    scanner.SkipValue();
                }
            }
            scanner.ExpectEnd();
            return new FetchedObject(buffer, length, pool, deleted);
        });

    public void Dispose() => PooledJson.Return(ref _buffer, _pool);
}
