using System.Text.Json;

namespace SourceStripe.Stripe;

/// <summary>A retrieved Stripe object in a pooled buffer, with whether Stripe reports it deleted.</summary>
public sealed class FetchedObject : IDisposable
{
    private byte[] _buffer;
    private readonly int _length;

    private FetchedObject(byte[] buffer, int length, bool deleted)
    {
        _buffer = buffer;
        _length = length;
        Deleted = deleted;
    }

    public ReadOnlySpan<byte> Json => _buffer.AsSpan(0, _length);

    /// <summary>Stripe answers a retrieve of some deleted objects with <c>{"id":…,"deleted":true}</c>.</summary>
    public bool Deleted { get; }

    public static FetchedObject Parse(byte[] buffer, int length) => PooledJson.ParseOrReturn(buffer, "a retrieved object", () =>
        {
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), isFinalBlock: true, state: default);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                throw new StripeResponseException("a retrieved object is not a JSON object");
            }
            var deleted = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isDeleted = reader.ValueTextEquals("deleted"u8);
                reader.Read();
                if (isDeleted)
                {
                    deleted = reader.TokenType == JsonTokenType.True;
                }
                reader.Skip();
            }
            if (reader.TokenType != JsonTokenType.EndObject)
            {
                throw new StripeResponseException("a retrieved object ended early");
            }
            return new FetchedObject(buffer, length, deleted);
        });

    public void Dispose() => PooledJson.Return(ref _buffer);
}
