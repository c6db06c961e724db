using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Text;
using SourceStripe.Generator;

namespace SourceStripe.Tests.Generator;

/// <summary>Runs the real generator over a manifest text, against the real Stripe.net assembly.</summary>
internal static class GeneratorHarness
{
    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(() =>
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return [.. platform.Select(p => MetadataReference.CreateFromFile(p)),
            MetadataReference.CreateFromFile(typeof(global::Stripe.Charge).Assembly.Location)];
    });

    public static GeneratorRun Run(string manifest, bool withStripe = true, string path = "/repo/streams.yaml")
    {
        var references = withStripe ? References.Value : [.. References.Value.Where(r => !r.Display!.Contains("Stripe.net", StringComparison.OrdinalIgnoreCase))];
        var compilation = CSharpCompilation.Create("Probe", [], references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var driver = CSharpGeneratorDriver.Create([new StreamsGenerator().AsSourceGenerator()], [new InMemoryText(path, manifest)]);
        var result = driver.RunGenerators(compilation).GetRunResult();
        return new GeneratorRun(result.Diagnostics, result.GeneratedTrees.Select(t => t.ToString()).ToList());
    }

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
