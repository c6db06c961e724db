using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SourceStripe.Generator;

/// <summary>
/// One metadata reference of the compilation, keyed by what it contains (assembly name and module
/// version id) rather than by the reference object: a build or IDE session that hands the generator a
/// new <see cref="MetadataReference"/> for the same unchanged file then leaves the pipeline cached.
/// </summary>
internal sealed class ReferencedAssembly(string name, Guid mvid, EquatableArray<string> references, MetadataReference reference)
    : IEquatable<ReferencedAssembly>
{
    public string Name { get; } = name;

    /// <summary>Changes with every change of the assembly's content (deterministic builds included).</summary>
    public Guid Mvid { get; } = mvid;

    /// <summary>Names of the assemblies this one references, to follow from Stripe.net to the core library.</summary>
    public EquatableArray<string> References { get; } = references;

    /// <summary>
    /// The handle to read the metadata through, left out of equality on purpose: two references with the
    /// same name and MVID carry the same metadata, and whichever the cache keeps serves equally well.
    /// </summary>
    public MetadataReference Reference { get; } = reference;

    /// <summary>The reference's identity, or null for what holds no assembly manifest (a netmodule, a bad file).</summary>
    public static ReferencedAssembly? Read(MetadataReference reference)
    {
        if (reference is not PortableExecutableReference file)
        {
            // A project reference in the IDE: Stripe.net only ever arrives as a package's file.
            return null;
        }
        try
        {
            if (file.GetMetadata() is not AssemblyMetadata assembly)
            {
                return null;
            }
            var module = assembly.GetModules()[0];
            var reader = module.GetMetadataReader();
            if (!reader.IsAssembly)
            {
                return null;
            }
            var references = reader.AssemblyReferences
                .Select(handle => reader.GetString(reader.GetAssemblyReference(handle).Name))
                .ToImmutableArray();
            return new ReferencedAssembly(reader.GetString(reader.GetAssemblyDefinition().Name), module.GetModuleVersionId(), references, reference);
        }
        catch (Exception e) when (e is BadImageFormatException or IOException)
        {
            // The compiler reports an unreadable reference itself; the generator just does without it.
            return null;
        }
    }

    public bool Equals(ReferencedAssembly? other) =>
        other is not null && Mvid == other.Mvid && string.Equals(Name, other.Name, StringComparison.Ordinal);

    public override bool Equals(object? obj) => Equals(obj as ReferencedAssembly);

    public override int GetHashCode() => Mvid.GetHashCode();
}

/// <summary>
/// Stripe.net and the assemblies its metadata needs (the core library for special types, System.Text.Json
/// for the property attributes, the collections its models use), without the connector's other references.
/// </summary>
internal static class StripeReferences
{
    public const string StripeAssemblyName = "Stripe.net";

    /// <summary>
    /// Stripe.net and everything it references, transitively, as far as the compilation provides it;
    /// empty when Stripe.net is not referenced. In the compilation's reference order, so the result is stable.
    /// </summary>
    public static EquatableArray<ReferencedAssembly> Select(ImmutableArray<ReferencedAssembly?> all)
    {
        var byName = all.OfType<ReferencedAssembly>().ToLookup(a => a.Name, StringComparer.OrdinalIgnoreCase);
        var needed = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var pending = new Queue<string>();
        if (byName.Contains(StripeAssemblyName))
        {
            pending.Enqueue(StripeAssemblyName);
        }
        while (pending.Count > 0)
        {
            var name = pending.Dequeue();
            if (!needed.Add(name))
            {
                continue;
            }
            foreach (var referenced in byName[name].SelectMany(a => a.References))
            {
                pending.Enqueue(referenced);
            }
        }
        return all.OfType<ReferencedAssembly>().Where(a => needed.Contains(a.Name)).ToImmutableArray();
    }

    /// <summary>
    /// A compilation of nothing but those references, made where it is used and dropped after: the
    /// pipeline caches only what is read out of it. Internal members are imported because Stripe.net's
    /// expandable fields are internal properties.
    /// </summary>
    public static Compilation Compile(EquatableArray<ReferencedAssembly> assemblies) =>
        CSharpCompilation.Create(
            "SourceStripe.Generator.StripeMetadata",
            references: assemblies.Select(a => a.Reference),
            options: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, metadataImportOptions: MetadataImportOptions.All));
}
