using SourceStripe.Streams;

foreach (var s in StreamCatalog.All)
{
    Console.WriteLine($"{s.Name} {s.DocumentSchema.Length}");
}
Console.WriteLine(StripeApiVersion.Pinned);
