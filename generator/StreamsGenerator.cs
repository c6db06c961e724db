using Microsoft.CodeAnalysis;

namespace SourceStripe.Generator;

/// <summary>
/// streams.yaml + Stripe.net metadata → stream descriptors, their JSON schemas and the pinned API version.
/// Parse (text → <see cref="Manifest"/>), resolve (+ compilation → <see cref="GenerationSpec"/>), emit.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class StreamsGenerator : IIncrementalGenerator
{
    public const string ManifestFileName = "streams.yaml";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var manifests = context.AdditionalTextsProvider
            .Where(file => string.Equals(Path.GetFileName(file.Path), ManifestFileName, StringComparison.OrdinalIgnoreCase))
            .Select((file, cancellation) => ManifestParser.Parse(file.Path, file.GetText(cancellation)?.ToString() ?? ""))
            .Collect();

        var specs = manifests
            .Combine(context.CompilationProvider)
            .Select((pair, cancellation) => pair.Left.IsEmpty
                ? null
                : StreamResolver.Resolve(pair.Left[0], pair.Right, cancellation));

        context.RegisterSourceOutput(specs, static (output, spec) =>
        {
            if (spec is null)
            {
                output.ReportDiagnostic(Diagnostic.Create(ManifestDiagnostics.ManifestNotFound, Location.None));
                return;
            }
            foreach (var diagnostic in spec.Diagnostics)
            {
                output.ReportDiagnostic(diagnostic.ToDiagnostic());
            }
            output.AddSource("StreamCatalog.g.cs", StreamsEmitter.Emit(spec));
        });
    }
}
