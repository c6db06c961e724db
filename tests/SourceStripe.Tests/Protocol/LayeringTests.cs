using System.Reflection;
using System.Reflection.Emit;
using System.Text.RegularExpressions;
using SourceStripe.Capture;
using SourceStripe.Cli;
using SourceStripe.Tests.EndToEnd;

namespace SourceStripe.Tests.Protocol;

/// <summary>
/// The capture knows nothing of Flow's protocol: Protocol (and the terminal) turn their input into a
/// <see cref="CaptureSpec"/>, and the capture runs that. Checked on the compiled connector, so a qualified
/// name, an alias or a global using cannot slip past it: every type a type of Capture or State names, in its
/// signatures, its locals or the instructions of its methods (lambdas and async methods included). A constant
/// leaves no trace there (the compiler copies its value), so the sources are read for the namespace's name too.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    [Fact]
    public void Capture_and_State_do_not_reference_the_Protocol_namespace()
    {
        var layer = typeof(CaptureSession).Assembly.GetTypes()
            .Where(t => InNamespace(t, "SourceStripe.Capture") || InNamespace(t, "SourceStripe.State"))
            .ToList();
        Assert.Contains(layer, t => InNamespace(t, "SourceStripe.State"));

        var references = layer.SelectMany(ProtocolReferences).Distinct().Order().ToList();

        Assert.True(references.Count == 0, "Capture and State reference Protocol:\n" + string.Join("\n", references));
    }

    [Fact]
    public void Capture_and_State_sources_do_not_name_the_Protocol_namespace()
    {
        var connector = Path.Combine(PublishedConnector.RepositoryRoot, "connector");
        var sources = new[] { "Capture", "State" }.SelectMany(folder => Directory.EnumerateFiles(Path.Combine(connector, folder), "*.cs", SearchOption.AllDirectories)).ToList();
        Assert.NotEmpty(sources);
        // A global using anywhere would bring Protocol's names into Capture without naming it there.
        var globalUsings = Directory.EnumerateFiles(connector, "*.cs", SearchOption.AllDirectories)
            .Where(f => File.ReadLines(f).Any(l => l.TrimStart().StartsWith("global using", StringComparison.Ordinal) && ProtocolName().IsMatch(l)));
        var project = Directory.EnumerateFiles(connector, "*.csproj").Where(f => File.ReadAllText(f).Contains("SourceStripe.Protocol", StringComparison.Ordinal));

        var naming = sources
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => ProtocolName().IsMatch(l.Text))
            .Select(l => $"{Path.GetRelativePath(connector, l.File)}:{l.Line}: {l.Text.Trim()}")
            .Concat(globalUsings).Concat(project)
            .ToList();

        Assert.True(naming.Count == 0, "Capture and State name Protocol:\n" + string.Join("\n", naming));
    }

    /// <summary><c>SourceStripe.Protocol</c>, or a name qualified by <c>Protocol.</c> (from within <c>SourceStripe</c>).</summary>
    [GeneratedRegex(@"\bSourceStripe\s*\.\s*Protocol\b|(?<![\w.])Protocol\s*\.\s*[A-Z]")]
    private static partial Regex ProtocolName();

    [Fact]
    public void The_check_sees_a_reference_made_only_inside_an_async_method()
    {
        // The terminal's capture names Protocol's reader only in the body of its async RunAsync.
        Assert.Contains(ProtocolReferences(typeof(TerminalCapture)), r => r.Contains("CaptureSpecReader", StringComparison.Ordinal));
    }

    private static bool InNamespace(Type type, string name) =>
        type.Namespace is { } ns && (ns == name || ns.StartsWith(name + ".", StringComparison.Ordinal));

    /// <summary>"Type.Member: ProtocolType" for each Protocol type named by <paramref name="type"/> or a type nested in it.</summary>
    private static IEnumerable<string> ProtocolReferences(Type type)
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<string>();
        void Check(string where, IEnumerable<Type?> named)
        {
            foreach (var t in named.SelectMany(Expand).Where(t => InNamespace(t, "SourceStripe.Protocol")))
            {
                found.Add($"{type.FullName}.{where}: {t.FullName}");
            }
        }

        Check("(base and interfaces)", [type.BaseType, .. type.GetInterfaces()]);
        foreach (var field in type.GetFields(All))
        {
            Check(field.Name, [field.FieldType]);
        }
        foreach (var method in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            Check(method.Name, [.. method.GetParameters().Select(p => p.ParameterType), (method as MethodInfo)?.ReturnType]);
            if (method.GetMethodBody() is { } body)
            {
                Check(method.Name, [.. body.LocalVariables.Select(l => l.LocalType), .. Operands(method, body.GetILAsByteArray() ?? [])]);
            }
        }
        foreach (var nested in type.GetNestedTypes(All))
        {
            found.AddRange(ProtocolReferences(nested));
        }
        return found;
    }

    /// <summary>The types that the instructions of <paramref name="method"/> name: of the members they call or load, and the types they use.</summary>
    private static IEnumerable<Type?> Operands(MethodBase method, byte[] il)
    {
        var module = method.Module;
        var typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        var methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        var at = 0;
        while (at < il.Length)
        {
            var code = il[at] == 0xFE ? OpCodesByValue[(short)(0xFE00 | il[at + 1])] : OpCodesByValue[il[at]];
            at += code.Size;
            switch (code.OperandType)
            {
                case OperandType.InlineField or OperandType.InlineMethod or OperandType.InlineTok or OperandType.InlineType:
                    var member = module.ResolveMember(BitConverter.ToInt32(il, at), typeArguments, methodArguments);
                    yield return member as Type ?? member?.DeclaringType;
                    if (member is FieldInfo field)
                    {
                        yield return field.FieldType;
                    }
                    else if (member is MethodBase called)
                    {
                        foreach (var parameter in called.GetParameters())
                        {
                            yield return parameter.ParameterType;
                        }
                        yield return (called as MethodInfo)?.ReturnType;
                    }
                    at += 4;
                    break;
                case OperandType.InlineSwitch:
                    at += 4 + (4 * BitConverter.ToInt32(il, at));
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    at += 8;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineSig or OperandType.InlineString or OperandType.ShortInlineR:
                    at += 4;
                    break;
                case OperandType.InlineVar:
                    at += 2;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    at += 1;
                    break;
            }
        }
    }

    /// <summary>A type and every type it is made of: generic arguments, element types.</summary>
    private static IEnumerable<Type> Expand(Type? type)
    {
        if (type is null)
        {
            yield break;
        }
        yield return type;
        if (type.HasElementType)
        {
            foreach (var inner in Expand(type.GetElementType()))
            {
                yield return inner;
            }
        }
        if (type.IsGenericType)
        {
            foreach (var inner in type.GetGenericArguments().SelectMany(Expand))
            {
                yield return inner;
            }
        }
    }
}
