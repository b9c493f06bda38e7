using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PlProxy.Client.Generators.Emitting;
using PlProxy.Client.Generators.Model;
using PlProxy.Client.Generators.Parsing;

namespace PlProxy.Client.Generators;

/// <summary>
/// Implements interfaces marked <c>[PlProxy]</c>. The pipeline: the attribute finds the interfaces (on the interface or on its methods); the parser turns
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

        // [PlProxy] on methods: misplaced outside an interface, or an interface marked only through its methods.
        IncrementalValuesProvider<ParseResult> methodTargets = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                InterfaceParser.PlProxyAttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, cancellationToken) => InterfaceParser.ParseMethodTarget(context, cancellationToken))
            .Where(static result => result is not null)
            .Select(static (result, _) => result!);

        IncrementalValuesProvider<DiagnosticInfo?> unimplemented = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => ProxyUsageParser.IsCandidate(node),
                static (context, cancellationToken) => ProxyUsageParser.Parse(context, cancellationToken));

        Emit(context, interfaces);
        Emit(context, methodTargets);
        context.RegisterSourceOutput(unimplemented.Where(static d => d is not null), static (output, diagnostic) => output.ReportDiagnostic(diagnostic!.ToDiagnostic()));
    }

    private static void Emit(IncrementalGeneratorInitializationContext context, IncrementalValuesProvider<ParseResult> results)
    {
        context.RegisterSourceOutput(
            results.Select(static (result, _) => result.Model).Where(static model => model is not null).WithTrackingName("PlProxyModels"),
            static (output, model) => output.AddSource(ProxyEmitter.HintName(model!), ProxyEmitter.Emit(model!)));

        context.RegisterSourceOutput(
            results.Select(static (result, _) => result.Diagnostics),
            static (output, diagnostics) =>
            {
                foreach (DiagnosticInfo diagnostic in diagnostics)
                {
                    output.ReportDiagnostic(diagnostic.ToDiagnostic());
                }
            });
    }
}
