using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PlProxy.Client.Generators.Tests;

/// <summary>Every C# block of the README compiles, with the generator, as a program of its own.</summary>
public sealed partial class ReadmeSnippetTests
{
    private const string Usings = "global using System; global using System.Collections.Generic; global using System.Linq; global using System.Threading; global using System.Threading.Tasks;";

    public static TheoryData<int> Blocks() => [.. Enumerable.Range(0, Snippets().Count)];

    private static List<string> Snippets() =>
        [.. CSharpBlock().Matches(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "README.md"))).Select(m => m.Groups["code"].Value)];

    [Fact]
    public void Readme_HasCSharpBlocks() => Assert.True(Snippets().Count >= 4);

    [Theory]
    [MemberData(nameof(Blocks))]
    public void ReadmeBlock_Compiles(int block)
    {
        string snippet = Snippets()[block];
        MetadataReference[] references =
        [
            .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p)),
            .. Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
                .Where(f => Path.GetFileName(f).StartsWith("Microsoft.Extensions.", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("PlProxy.Client", StringComparison.Ordinal)
                    || Path.GetFileName(f).StartsWith("OpenTelemetry", StringComparison.Ordinal) || Path.GetFileName(f).StartsWith("Npgsql", StringComparison.Ordinal)
                    || Path.GetFileName(f).StartsWith("Microsoft.EntityFrameworkCore", StringComparison.Ordinal) || Path.GetFileName(f) == "Dapper.dll")
                .Where(f => !Path.GetFileName(f).Contains("Generators", StringComparison.Ordinal) && !Path.GetFileName(f).Contains("Tests", StringComparison.Ordinal))
                .Select(f => MetadataReference.CreateFromFile(f)),
        ];
        var compilation = CSharpCompilation.Create(
            "ReadmeBlock" + block,
            [CSharpSyntaxTree.ParseText(snippet, GeneratorHarness.ParseOptions, "README.cs"), CSharpSyntaxTree.ParseText(Usings, GeneratorHarness.ParseOptions, "Usings.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var generatorDiagnostics);

        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
