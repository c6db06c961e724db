using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace SourceStripe.Tests.Generator;

/// <summary>
/// The generator stays incremental: the compiler keeps one driver between edits, as these tests do, and an
/// edit of the connector's code must not bind Stripe.net again or rebuild a schema; an edit of streams.yaml
/// or of the Stripe.net reference must.
/// </summary>
public sealed class GeneratorCachingTests
{
    private const string ClimateOrders = """

          - name: climate_orders
            path: /v1/climate/orders
            model: Stripe.Climate.Order
            sync_modes: [full_refresh]
        """;

    /// <summary>
    /// The names under which a driver that tracks steps reports the generator's steps the tests look at; the first
    /// run checks that each is reported, so a step renamed fails there by name.
    /// </summary>
    private static class Step
    {
        public const string Manifest = nameof(Manifest);
        public const string Assembly = nameof(Assembly);
        public const string StripeAssemblies = nameof(StripeAssemblies);
        public const string Spec = nameof(Spec);
    }

    private static readonly SyntaxTree Code = CSharpSyntaxTree.ParseText("class Capture { int _polls; }", path: "Capture.cs");

    [Fact]
    public void An_unrelated_source_edit_runs_no_step_again()
    {
        var (driver, compilation) = FirstRun(GeneratorHarness.Manifest(GeneratorHarness.RealManifest()));

        var edited = compilation
            .ReplaceSyntaxTree(Code, CSharpSyntaxTree.ParseText("class Capture { int _polls; int _pages; }", path: "Capture.cs"))
            .AddSyntaxTrees(CSharpSyntaxTree.ParseText("class Added { }", path: "Added.cs"));
        var run = Rerun(driver, edited);

        // Every step, the compiler's own inputs (AdditionalTexts, MetadataReferences) included.
        foreach (var step in run.TrackedSteps.Keys)
        {
            Assert.All(Reasons(run, step), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {r}"));
        }
        // Unchanged would mean the step ran and happened to produce an equal value: binding Stripe.net and
        // building every schema again is what this design exists to avoid, so the spec must not have run.
        Assert.Equal([IncrementalStepRunReason.Cached], Reasons(run, Step.Spec));
        AssertNoSourceRegenerated(run);
    }

    [Fact]
    public void Fresh_reference_objects_for_the_same_files_run_no_step_again_after_reading_them()
    {
        var (driver, compilation) = FirstRun(GeneratorHarness.Manifest(GeneratorHarness.RealManifest()));

        // A MetadataReference compares by instance: new ones for the same files are not equal to the old...
        var fresh = GeneratorHarness.References.Select(r => (MetadataReference)MetadataReference.CreateFromFile(r.Display!)).ToList();
        Assert.NotEqual(GeneratorHarness.References[0], fresh[0]);
        var run = Rerun(driver, compilation.WithReferences(fresh));

        // ...so each is read again, but keyed by name and MVID it is the same assembly, and nothing after runs.
        Assert.All(Reasons(run, Step.Assembly), r => Assert.Equal(IncrementalStepRunReason.Unchanged, r));
        Assert.All(Reasons(run, Step.StripeAssemblies), r => Assert.True(r is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, r.ToString()));
        Assert.Equal([IncrementalStepRunReason.Cached], Reasons(run, Step.Spec));
        AssertNoSourceRegenerated(run);
    }

    [Fact]
    public void Editing_streams_yaml_runs_the_manifest_and_spec_steps_again()
    {
        var manifest = GeneratorHarness.Manifest(GeneratorHarness.RealManifest());
        var (driver, compilation) = FirstRun(manifest);

        driver = driver.ReplaceAdditionalText(manifest, GeneratorHarness.Manifest(GeneratorHarness.RealManifest() + ClimateOrders));
        var run = Rerun(driver, compilation);

        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(run, Step.Manifest));
        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(run, Step.Spec));
        Assert.All(Reasons(run, Step.Assembly), r => Assert.Equal(IncrementalStepRunReason.Cached, r));
        Assert.Contains(run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("public sealed class ClimateOrdersStream : StreamDescriptor", Assert.Single(run.GeneratedSources).SourceText.ToString());
    }

    [Fact]
    public void Dropping_the_stripe_net_reference_runs_the_spec_step_again()
    {
        var (driver, compilation) = FirstRun(GeneratorHarness.Manifest(GeneratorHarness.RealManifest()));

        var run = Rerun(driver, compilation.WithReferences(GeneratorHarness.WithoutStripe(GeneratorHarness.References)));

        Assert.Equal([IncrementalStepRunReason.Modified], Reasons(run, Step.Spec));
        Assert.Contains(run.Diagnostics, d => d.Id == "SSG017");
    }

    /// <summary>The first run, checked to have produced the catalog, so a later "nothing ran" means something.</summary>
    private static (GeneratorDriver Driver, CSharpCompilation Compilation) FirstRun(AdditionalText manifest)
    {
        var compilation = GeneratorHarness.Compilation([Code], GeneratorHarness.References);
        var driver = GeneratorHarness.TrackingDriver(manifest).RunGenerators(compilation);
        var first = driver.GetRunResult().Results.Single();
        Assert.Empty(first.Diagnostics);
        Assert.Single(first.GeneratedSources);
        Assert.Subset(first.TrackedSteps.Keys.ToHashSet(), new HashSet<string> { Step.Manifest, Step.Assembly, Step.StripeAssemblies, Step.Spec });
        Assert.Equal([IncrementalStepRunReason.New], Reasons(first, Step.Spec));
        return (driver, compilation);
    }

    private static GeneratorRunResult Rerun(GeneratorDriver driver, Compilation compilation) =>
        driver.RunGenerators(compilation).GetRunResult().Results.Single();

    /// <summary>The run reasons of every output of a named step; fails if the step did not run at all.</summary>
    private static List<IncrementalStepRunReason> Reasons(GeneratorRunResult run, string step)
    {
        Assert.True(run.TrackedSteps.TryGetValue(step, out var steps), $"no step named {step}; tracked: {string.Join(", ", run.TrackedSteps.Keys)}");
        return [.. steps.SelectMany(s => s.Outputs).Select(o => o.Reason)];
    }

    private static void AssertNoSourceRegenerated(GeneratorRunResult run)
    {
        var outputs = run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs).ToList();
        Assert.NotEmpty(outputs);
        Assert.All(outputs, o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }
}
