using System.Globalization;
using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>Writes the realistic scalar value a <see cref="ValueRule"/> asks for.</summary>
internal static class ValueFactory
{
    private const long Day = 86_400;

    public static void WriteString(PropPlan prop, string? def, ObjectContext ctx, Utf8JsonWriter w)
    {
        ref var rng = ref ctx.Rng;
        var person = ctx.Person;
        switch (prop.Rule)
        {
            case ValueRule.ForeignId:
                var prefix = StripeObjects.IdPrefixOfField(prop.Name)!;
                w.WriteStringValue(prefix.Length == 0 ? StripeIds.Random(ref rng, 8, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789") : StripeIds.New(prefix, rng.Next(1 << 30), ref rng));
                return;
            case ValueRule.Null:
                w.WriteNullValue();
                return;
            case ValueRule.Id:
                w.WriteStringValue(StripeIds.New(StripeObjects.DefIdPrefix(def), rng.Next(1 << 30), ref rng));
                return;
            case ValueRule.ObjectName:
                w.WriteStringValue(StripeObjects.DefObjectName(def));
                return;
            case ValueRule.Currency:
                w.WriteStringValue(ctx.Currency);
                return;
            case ValueRule.Email:
                w.WriteStringValue(SampleData.Email(person));
                return;
            case ValueRule.PersonName:
                w.WriteStringValue(SampleData.FullName(person));
                return;
            case ValueRule.CompanyName:
                w.WriteStringValue(rng.Pick(SampleData.Companies));
                return;
            case ValueRule.ProductName:
                w.WriteStringValue(rng.Pick(SampleData.Products));
                return;
            case ValueRule.Phone:
                w.WriteStringValue("+1555" + StripeIds.Digits(ref rng, 7));
                return;
            case ValueRule.Country:
                w.WriteStringValue(SampleData.Place(person).Country);
                return;
            case ValueRule.City:
                w.WriteStringValue(SampleData.Place(person).City);
                return;
            case ValueRule.State:
                w.WriteStringValue(SampleData.Place(person).State);
                return;
            case ValueRule.PostalCode:
                w.WriteStringValue(SampleData.Place(person).Postal);
                return;
            case ValueRule.Line1:
                w.WriteStringValue($"{1 + person % 997} {SampleData.Streets[person % SampleData.Streets.Length]}");
                return;
            case ValueRule.Line2:
                if (rng.Chance(0.7))
                {
                    w.WriteNullValue();
                    return;
                }
                w.WriteStringValue($"Apt {1 + rng.Next(40)}");
                return;
            case ValueRule.Url:
                w.WriteStringValue($"https://example.com/{StripeObjects.DefObjectName(def)}/{StripeIds.Random(ref rng, 12)}");
                return;
            case ValueRule.Description:
                w.WriteStringValue($"{rng.Pick(SampleData.Products)} for {SampleData.FullName(person)}");
                return;
            case ValueRule.Status:
                w.WriteStringValue("succeeded");
                return;
            case ValueRule.Type:
                w.WriteStringValue("standard");
                return;
            case ValueRule.Last4:
                w.WriteStringValue(StripeIds.Digits(ref rng, 4));
                return;
            case ValueRule.Fingerprint:
                w.WriteStringValue(StripeIds.Random(ref rng, 16));
                return;
            case ValueRule.Decimal:
                var whole = rng.Next(1, 5000);
                w.WriteStringValue(rng.Chance(0.3) ? $"{whole}.5" : whole.ToString(CultureInfo.InvariantCulture));
                return;
            case ValueRule.Brand:
                w.WriteStringValue(rng.Pick(SampleData.Brands));
                return;
            case ValueRule.Interval:
                w.WriteStringValue(rng.Pick(SampleData.Intervals));
                return;
            case ValueRule.Code:
                w.WriteStringValue(StripeIds.Random(ref rng, 8, "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"));
                return;
            case ValueRule.StatementDescriptor:
                w.WriteStringValue("SIMULATOR* SHOP");
                return;
            case ValueRule.ClientSecret:
                w.WriteStringValue($"{ctx.Id}_secret_{StripeIds.Random(ref rng, 24)}");
                return;
            case ValueRule.Locale:
                w.WriteStringValue("en");
                return;
            case ValueRule.PaymentMethodId:
                w.WriteStringValue(StripeIds.New("pm_", rng.Next(1 << 30), ref rng));
                return;
            case ValueRule.PaymentMethodType:
                w.WriteStringValue("card");
                return;
            case ValueRule.RoutingNumber:
                w.WriteStringValue("110000000");
                return;
            case ValueRule.Funding:
                w.WriteStringValue(rng.Chance(0.8) ? "credit" : "debit");
                return;
            case ValueRule.Token:
                w.WriteStringValue(StripeIds.Random(ref rng, 12, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"));
                return;
            case ValueRule.BankName:
                w.WriteStringValue(rng.Pick(SampleData.Banks));
                return;
            default:
                w.WriteStringValue(rng.Pick(SampleData.Words));
                return;
        }
    }

    public static void WriteInteger(ValueRule rule, ObjectContext ctx, Utf8JsonWriter w)
    {
        ref var rng = ref ctx.Rng;
        switch (rule)
        {
            case ValueRule.Null:
                w.WriteNullValue();
                return;
            case ValueRule.Created:
                w.WriteNumberValue(ctx.Created);
                return;
            case ValueRule.Timestamp:
                w.WriteNumberValue(ctx.Created + rng.NextLong(0, 30 * Day));
                return;
            case ValueRule.Amount:
                w.WriteNumberValue(Amount(ref rng));
                return;
            case ValueRule.Quantity:
                w.WriteNumberValue(rng.Next(1, 3));
                return;
            case ValueRule.One:
                w.WriteNumberValue(1);
                return;
            case ValueRule.Count:
                w.WriteNumberValue(rng.Next(0, 2));
                return;
            case ValueRule.ExpMonth:
                w.WriteNumberValue(rng.Next(1, 12));
                return;
            case ValueRule.ExpYear:
                w.WriteNumberValue(rng.Next(2027, 2032));
                return;
            case ValueRule.Hour:
                w.WriteNumberValue(rng.Next(0, 23));
                return;
            case ValueRule.Minute:
                w.WriteNumberValue(rng.Next(0, 59));
                return;
            case ValueRule.Month:
                w.WriteNumberValue(rng.Next(1, 12));
                return;
            case ValueRule.DayOfMonth:
                w.WriteNumberValue(rng.Next(1, 28));
                return;
            case ValueRule.Days:
                w.WriteNumberValue(rng.Chance(0.5) ? 30 : 14);
                return;
            default:
                w.WriteNumberValue(rng.Next(0, 100));
                return;
        }
    }

    public static void WriteNumber(ValueRule rule, ObjectContext ctx, Utf8JsonWriter w)
    {
        ref var rng = ref ctx.Rng;
        switch (rule)
        {
            case ValueRule.Null:
                w.WriteNullValue();
                return;
            case ValueRule.ExchangeRate:
                w.WriteNumberValue(Math.Round(0.8 + rng.NextDouble() * 0.4, 6));
                return;
            default:
                w.WriteNumberValue(5 + rng.Next(0, 18) * 2.5);
                return;
        }
    }

    public static void WriteBoolean(ValueRule rule, ObjectContext ctx, Utf8JsonWriter w)
    {
        switch (rule)
        {
            case ValueRule.Null:
                w.WriteNullValue();
                return;
            case ValueRule.False:
                w.WriteBooleanValue(false);
                return;
            case ValueRule.MostlyTrue:
                w.WriteBooleanValue(ctx.Rng.Chance(0.9));
                return;
            default:
                w.WriteBooleanValue(ctx.Rng.Chance(0.5));
                return;
        }
    }

    /// <summary>A price-like amount in the currency's minor unit: 5.00 to 500.00, in steps of 0.50.</summary>
    public static long Amount(ref Rng rng) => 500 + rng.Next(0, 990) * 50L;

    public static void WriteMetadata(ObjectContext ctx, Utf8JsonWriter w)
    {
        ref var rng = ref ctx.Rng;
        w.WriteStartObject();
        w.WriteString("order_id", StripeIds.Digits(ref rng, 6));
        if (rng.Chance(0.5))
        {
            w.WriteString("source", "simulator");
        }
        w.WriteEndObject();
    }
}
