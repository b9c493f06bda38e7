using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using PlProxy.Client.Tool.Scaffolding.Emitting;

namespace PlProxy.Client.Scaffold.Tests;

public sealed class CSharpWriterTests
{
    [Theory]
    [InlineData("cluster 'userdb'; run on all;")]
    [InlineData("\n    cluster 'userdb';\n    run on hashtext(username);\n")]
    [InlineData("\n\tcluster 'x';\n\n    run on 0;\n    select \"ColId\" from t where a = 'b\\c';\n  ")]
    [InlineData("cluster 'x'; run on 0; select '\"\"\"\"' as r;")]
    [InlineData("\r\n    cluster 'x';\r\n    run on any;\r\n")]
    public void Literal_AnyBody_CompilesToTheSameText(string body)
    {
        string literal = CSharpWriter.Literal(body, "        ");
        SyntaxTree tree = CSharpSyntaxTree.ParseText($"class C\n{{\n    const string Body = {literal};\n}}\n", new CSharpParseOptions(LanguageVersion.Latest));
        var compilation = CSharpCompilation.Create("Literal", [tree], [MetadataReference.CreateFromFile(typeof(object).Assembly.Location)], new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var declaration = tree.GetRoot().DescendantNodes().OfType<Microsoft.CodeAnalysis.CSharp.Syntax.VariableDeclaratorSyntax>().Single();

        object? value = compilation.GetSemanticModel(tree).GetConstantValue(declaration.Initializer!.Value).Value;

        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        Assert.Equal(body.Replace("\r\n", "\n", StringComparison.Ordinal), value);
    }
}
