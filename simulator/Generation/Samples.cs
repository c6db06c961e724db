using System.Collections.Frozen;
using System.Text.Json;

namespace SourceStripe.Simulator.Generation;

/// <summary>
/// One sample object per resource (<c>Samples/*.json</c>, embedded): a fully populated object as Stripe's API
/// reference shows it, in <see cref="SimulatorOptions.DefaultApiVersion"/>. Every generated object is its resource's
/// sample with the values that make it one object among many (<see cref="SampleWriter"/>).
/// </summary>
internal static class Samples
{
    private static readonly FrozenDictionary<string, JsonElement> ByResource = Load();

    /// <summary>The sample of a resource (by <see cref="Resource.Name"/>); events have one too, for reference only.</summary>
    public static JsonElement For(string resource) =>
        ByResource.TryGetValue(resource, out var sample) ? sample : throw new ArgumentException($"No sample for '{resource}'.", nameof(resource));

    /// <summary>The sample's own time (its <c>created</c>, or <c>date</c>): nested times move with the object's.</summary>
    public static long TimeOf(JsonElement sample) =>
        sample.TryGetProperty("created", out var t) || sample.TryGetProperty("date", out t) ? t.GetInt64() : 0;

    private static FrozenDictionary<string, JsonElement> Load()
    {
        var assembly = typeof(Samples).Assembly;
        var samples = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("Samples/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var document = JsonDocument.Parse(stream);
            samples[Path.GetFileNameWithoutExtension(name)] = document.RootElement.Clone();
        }
        return samples.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
