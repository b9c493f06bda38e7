using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace PlProxy.Client.Generators.Tests;

/// <summary>
/// Every C# block of the README and of the docs site compiles, with the generator, as a program of its own; a block
/// that begins <c>// expect PLPXnnnn</c> (a diagnostic's example) reports exactly that diagnostic instead.
/// </summary>
public sealed partial class ReadmeSnippetTests
{
    private const string Usings = "global using System; global using System.Collections.Generic; global using System.Linq; global using System.Threading; global using System.Threading.Tasks;";

    public static TheoryData<string, int> Blocks() => [.. Pages().SelectMany(page => Enumerable.Range(0, SnippetsOf(page).Count).Select(block => (page, block)))];

    // The README and every page of the docs site, as paths relative to the repository.
    private static IEnumerable<string> Pages() =>
        ["README.md", .. Directory.GetFiles(Path.Combine(Repository.Root, "docs"), "*.md", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}_site{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Repository.Root, f)).Order(StringComparer.Ordinal)];

    private static List<string> SnippetsOf(string page) =>
        [.. CSharpBlock().Matches(File.ReadAllText(Path.Combine(Repository.Root, page)).ReplaceLineEndings("\n")).Select(m => m.Groups["code"].Value)];

    [Fact]
    public void ReadmeAndDocs_HaveCSharpBlocks()
    {
        Assert.True(SnippetsOf("README.md").Count >= 1);
        Assert.True(Pages().Sum(p => SnippetsOf(p).Count) >= 30);
    }

    [Theory]
    [MemberData(nameof(Blocks))]
    public void Block_CompilesOrReportsTheDiagnosticItShows(string page, int block)
    {
        string snippet = SnippetsOf(page)[block];
        string? expected = snippet.StartsWith("// expect PLPX", StringComparison.Ordinal) ? snippet["// expect ".Length..snippet.IndexOf('\n', StringComparison.Ordinal)] : null;
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
            "Block" + block,
            [CSharpSyntaxTree.ParseText(snippet, GeneratorHarness.ParseOptions, "README.cs"), CSharpSyntaxTree.ParseText(Usings, GeneratorHarness.ParseOptions, "Usings.cs")],
            references,
            new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable));

        GeneratorHarness.Driver().RunGeneratorsAndUpdateCompilation(compilation, out Compilation output, out var generatorDiagnostics);

        if (expected is not null)
        {
            Assert.Equal([expected], generatorDiagnostics.Select(d => d.Id).Distinct());
            return;
        }

        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
    }

    [GeneratedRegex(@"```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();
}
