using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>
/// Card sources: not a stream, but listed by <c>/v1/customers/{customer}/sources</c> next to bank accounts, so that
/// the <c>object=bank_account</c> filter the bank_accounts stream relies on actually filters something.
/// </summary>
internal static class CardSource
{
    public static void Write(ObjectContext c, string customer, Utf8JsonWriter w)
    {
        ref var rng = ref c.Rng;
        var place = SampleData.Place(c.Person);
        w.WriteStartObject();
        w.WriteString("id", c.Id);
        w.WriteString("object", "card");
        w.WriteString("address_city", place.City);
        w.WriteString("address_country", place.Country);
        w.WriteString("address_zip", place.Postal);
        w.WriteString("brand", rng.Pick(["Visa", "MasterCard", "American Express"]));
        w.WriteString("country", place.Country);
        w.WriteString("customer", customer);
        w.WriteString("cvc_check", "pass");
        w.WriteNumber("exp_month", rng.Next(1, 12));
        w.WriteNumber("exp_year", rng.Next(2027, 2032));
        w.WriteString("fingerprint", StripeIds.Random(ref rng, 16));
        w.WriteString("funding", "credit");
        w.WriteString("last4", StripeIds.Digits(ref rng, 4));
        w.WriteStartObject("metadata");
        w.WriteEndObject();
        w.WriteString("name", SampleData.FullName(c.Person));
        w.WriteNull("tokenization_method");
        w.WriteEndObject();
    }
}
