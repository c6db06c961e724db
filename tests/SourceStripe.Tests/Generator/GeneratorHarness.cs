using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using SourceStripe.Generator;

namespace SourceStripe.Tests.Generator;

/// <summary>Runs the real generator over a manifest text, against the real Stripe.net assembly.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> AllReferences = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return [.. platform.Select(p => MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(typeof(global::Stripe.Charge).Assembly.Location)];
    });

    /// <summary>The runtime's assemblies and Stripe.net, the same instances on every call.</summary>
    public static ImmutableArray<MetadataReference> References => AllReferences.Value;

    public static GeneratorRun Run(string manifest, bool withStripe = true, string path = "/repo/streams.yaml")
    {
        var references = withStripe ? References : WithoutStripe(References);
        var driver = CSharpGeneratorDriver.Create([new StreamsGenerator().AsSourceGenerator()], [Manifest(manifest, path)]);
        var result = driver.RunGenerators(Compilation([], references)).GetRunResult();
        return new GeneratorRun(result.Diagnostics, result.GeneratedTrees.Select(t => t.ToString()).ToList());
    }

    /// <summary>A driver that records each named step's run reasons, as the compiler keeps one between edits.</summary>
    public static GeneratorDriver TrackingDriver(AdditionalText manifest) =>
        CSharpGeneratorDriver.Create(
            [new StreamsGenerator().AsSourceGenerator()],
            [manifest],
            driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static CSharpCompilation Compilation(IEnumerable<SyntaxTree> sources, IEnumerable<MetadataReference> references) =>
        CSharpCompilation.Create("Probe", sources, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));

    public static AdditionalText Manifest(string text, string path = "/repo/streams.yaml") => new InMemoryText(path, text);

    public static ImmutableArray<MetadataReference> WithoutStripe(ImmutableArray<MetadataReference> references) =>
        [.. references.Where(r => !r.Display!.Contains("Stripe.net", StringComparison.OrdinalIgnoreCase))];

    public static string RealManifest() => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "streams.yaml"));

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        public override string Path => path;

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(text);
    }
}

internal sealed record GeneratorRun(ImmutableArray<Diagnostic> Diagnostics, IReadOnlyList<string> Sources)
{
    public Diagnostic Single(string id)
    {
        var matching = Diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count == 1, $"expected one {id}, got: {string.Join(" | ", Diagnostics.Select(d => d.ToString()))}");
        Assert.Equal(DiagnosticSeverity.Error, matching[0].Severity);
        return matching[0];
    }
}
