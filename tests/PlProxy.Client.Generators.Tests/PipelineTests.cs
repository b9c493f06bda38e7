using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PlProxy.Client.Generators.Model;

namespace PlProxy.Client.Generators.Tests;

/// <summary>The incremental pipeline: models cache, and hold no Roslyn objects.</summary>
public sealed class PipelineTests
{
    private const string Source = """
        using System.Threading.Tasks;
        using PlProxy.Client;

        [PlProxy("CLUSTER 'userdb';")]
        public interface IUserDb
        {
            [PlProxy("RUN ON hashtext(username);")]
            Task<decimal> GetBalanceAsync(string username);
        }
        """;

    [Fact]
    public void UnrelatedEdit_LeavesTheModelCached()
    {
        CSharpCompilation compilation = GeneratorHarness.Compilation(Source);
        GeneratorDriver driver = GeneratorHarness.Driver().RunGenerators(compilation);

        CSharpCompilation edited = compilation.AddSyntaxTrees(CSharpSyntaxTree.ParseText("public class Unrelated { }", GeneratorHarness.ParseOptions));
        GeneratorRunResult run = driver.RunGenerators(edited).GetRunResult().Results.Single();

        IncrementalGeneratorRunStep step = run.TrackedSteps["PlProxyModels"].Single();
        Assert.All(step.Outputs, output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    [Fact]
    public void Models_HoldOnlyPlainData()
    {
        var seen = new HashSet<Type>();
        AssertPlain(typeof(ParseResult), seen);
        Assert.Contains(typeof(InterfaceModel), seen);
    }

    private static void AssertPlain(Type type, HashSet<Type> seen)
    {
        if (!seen.Add(type) || type.IsPrimitive || type.IsEnum || type == typeof(string))
        {
            return;
        }

        Assert.False(typeof(ISymbol).IsAssignableFrom(type) || typeof(SyntaxNode).IsAssignableFrom(type) || type == typeof(Location) || typeof(Compilation).IsAssignableFrom(type),
            $"{type.Name} must not reach the pipeline's cached models.");
        if (type.Namespace?.StartsWith("Microsoft.CodeAnalysis.Text", StringComparison.Ordinal) == true)
        {
            return; // TextSpan, LinePositionSpan: equatable value types
        }

        foreach (Type argument in type.GetGenericArguments())
        {
            AssertPlain(argument, seen);
        }

        foreach (System.Reflection.PropertyInfo property in type.GetProperties())
        {
            if (property.GetIndexParameters().Length == 0 && property.DeclaringType == type)
            {
                AssertPlain(property.PropertyType, seen);
            }
        }
    }

    [Fact]
    public void EveryDiagnostic_HasADocsPageItsHelpLinkNamesAndTheIndexLists()
    {
        string index = File.ReadAllText(Path.Combine(Repository.Root, "docs", "diagnostics", "index.md"));

        Assert.All(Diagnostics.DiagnosticDescriptors.All, d =>
        {
            Assert.True(File.Exists(Path.Combine(Repository.Root, "docs", "diagnostics", d.Id + ".md")), $"docs/diagnostics/{d.Id}.md");
            Assert.Equal(Diagnostics.DiagnosticDescriptors.HelpLinkBase + d.Id + ".md", d.HelpLinkUri);
            Assert.Contains($"| [{d.Id}]({d.Id}.md) |", index, StringComparison.Ordinal);
        });
    }
}
