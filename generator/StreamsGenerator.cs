using Microsoft.CodeAnalysis;

namespace SourceStripe.Generator;

/// <summary>
/// streams.yaml + Stripe.net metadata → stream descriptors, their JSON schemas and the pinned API version.
/// Parse (text → <see cref="Manifest"/>), resolve (+ Stripe.net's references → <see cref="GenerationSpec"/>), emit.
/// </summary>
/// <remarks>
/// Incremental by construction: the expensive step (binding Stripe.net, building every schema) takes
/// only the manifest and the identities of Stripe.net's references, never the compilation, so editing the
/// connector's code leaves its input unchanged and the compiler reuses its result.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed class StreamsGenerator : IIncrementalGenerator
{
    public const string ManifestFileName = "streams.yaml";

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var manifest = context.AdditionalTextsProvider
            .Where(static file => string.Equals(Path.GetFileName(file.Path), ManifestFileName, StringComparison.OrdinalIgnoreCase))
            .Select(static (file, cancellation) => ManifestParser.Parse(file.Path, file.GetText(cancellation)?.ToString() ?? ""))
            .WithTrackingName(TrackingNames.Manifest)
            .Collect()
            .Select(static (all, _) => all.IsEmpty ? null : all[0])
            .WithTrackingName(TrackingNames.FirstManifest);

        var stripe = context.MetadataReferencesProvider
            .Select(static (reference, _) => ReferencedAssembly.Read(reference))
            .WithTrackingName(TrackingNames.Assembly)
            .Collect()
            .Select(static (all, _) => StripeReferences.Select(all))
            .WithTrackingName(TrackingNames.StripeAssemblies);

        var spec = manifest
            .Combine(stripe)
            .Select(static (pair, cancellation) => pair.Left is null ? null : StreamResolver.Resolve(pair.Left, pair.Right, cancellation))
            .WithTrackingName(TrackingNames.Spec);

        context.RegisterSourceOutput(spec, static (output, spec) =>
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

/// <summary>The names of the pipeline's steps: a driver that tracks steps reports each one's runs under its name.</summary>
internal static class TrackingNames
{
    public const string Manifest = nameof(Manifest);
    public const string FirstManifest = nameof(FirstManifest);
    public const string Assembly = nameof(Assembly);
    public const string StripeAssemblies = nameof(StripeAssemblies);
    public const string Spec = nameof(Spec);

    public static readonly string[] All = [Manifest, FirstManifest, Assembly, StripeAssemblies, Spec];
}
