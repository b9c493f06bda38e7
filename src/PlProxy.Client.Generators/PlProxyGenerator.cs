using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PlProxy.Client.Generators.Emitting;
using PlProxy.Client.Generators.Model;
using PlProxy.Client.Generators.Parsing;

namespace PlProxy.Client.Generators;

/// <summary>
/// Implements interfaces marked <c>[PlProxy]</c>. The pipeline: the attribute finds the interfaces; the parser turns
/// each into a plain, equatable model (binding its bodies with the runtime's own parser and binder); the emitter writes
/// the implementation. Sources and diagnostics go out separately, so models are cached and <c>#pragma</c> works.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class PlProxyGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        IncrementalValuesProvider<ParseResult> interfaces = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                InterfaceParser.PlProxyAttributeName,
                static (node, _) => node is InterfaceDeclarationSyntax,
                static (context, cancellationToken) => InterfaceParser.Parse(context, cancellationToken))
            .WithTrackingName("PlProxyInterfaces");

        IncrementalValuesProvider<DiagnosticInfo?> misplaced = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                InterfaceParser.PlProxyAttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, _) => InterfaceParser.ParseMisplaced(context));

        context.RegisterSourceOutput(
            interfaces.Select(static (result, _) => result.Model).Where(static model => model is not null).WithTrackingName("PlProxyModels"),
            static (output, model) => output.AddSource(ProxyEmitter.HintName(model!), ProxyEmitter.Emit(model!)));

        context.RegisterSourceOutput(
            interfaces.Select(static (result, _) => result.Diagnostics),
            static (output, diagnostics) =>
            {
                foreach (DiagnosticInfo diagnostic in diagnostics)
                {
                    output.ReportDiagnostic(diagnostic.ToDiagnostic());
                }
            });

        context.RegisterSourceOutput(misplaced.Where(static d => d is not null), static (output, diagnostic) => output.ReportDiagnostic(diagnostic!.ToDiagnostic()));
    }
}
