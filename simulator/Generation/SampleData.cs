namespace SourceStripe.Simulator.Generation;

/// <summary>The small vocabularies realistic values are drawn from.</summary>
internal static class SampleData
{
    public static readonly string[] FirstNames =
    [
        "Jenny", "Ana", "Liam", "Noah", "Olivia", "Emma", "Mateo", "Sofia", "Lukas", "Mia", "Yuki", "Arjun",
        "Chloe", "Hugo", "Zara", "Omar", "Ines", "Felix", "Nora", "Kai",
    ];

    public static readonly string[] LastNames =
    [
        "Rosen", "Garcia", "Smith", "Müller", "Dubois", "Rossi", "Tanaka", "Patel", "Kowalski", "Silva", "Jensen",
        "Novak", "Okafor", "Larsen", "Cohen", "Nguyen",
    ];

    public static readonly string[] Products =
    [
        "Basic plan", "Pro plan", "Enterprise plan", "T-shirt", "Coffee beans", "Gift card", "Consulting hour", "Sticker pack",
        "API credits", "Support add-on",
    ];

    /// <summary>City, state, postal code, country.</summary>
    public static readonly (string City, string State, string Postal, string Country)[] Places =
    [
        ("San Francisco", "CA", "94103", "US"), ("New York", "NY", "10001", "US"), ("Austin", "TX", "73301", "US"),
        ("Berlin", "BE", "10115", "DE"), ("Paris", "IDF", "75001", "FR"), ("London", "LND", "EC1A 1BB", "GB"),
        ("Dublin", "D", "D02 X285", "IE"), ("Toronto", "ON", "M5H 2N2", "CA"),
    ];

    public static readonly string[] Streets = ["Market St", "Main St", "High St", "Rue de Rivoli", "Unter den Linden", "King St"];

    public static readonly string[] Channels = ["web", "ios", "android", "pos"];

    public static readonly string[] Intervals = ["month", "month", "month", "year"];

    public static string FirstName(int person) => FirstNames[person % FirstNames.Length];

    public static string LastName(int person) => LastNames[person / FirstNames.Length % LastNames.Length];

    public static string FullName(int person) => $"{FirstName(person)} {LastName(person)}";

    public static string Email(int person) =>
        $"{FirstName(person).ToLowerInvariant()}.{Ascii(LastName(person)).ToLowerInvariant()}{person % 1000}@example.com";

    public static (string City, string State, string Postal, string Country) Place(int person) => Places[person % Places.Length];

    private static string Ascii(string text) => text.Replace("ü", "u", StringComparison.Ordinal);
}
