using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using PlProxy.Client.Generators.Diagnostics;
using PlProxy.Client.Generators.Model;

namespace PlProxy.Client.Generators.Parsing;

/// <summary>
/// Calls that ask for a proxy (<c>CreateProxy&lt;T&gt;()</c>, <c>AddProxy&lt;T&gt;()</c>) naming a type that will have no
/// generated implementation: the call would throw at run time, so the build fails instead (PLPX0008). A type
/// parameter is left alone: the compiler cannot see what it will be.
/// </summary>
internal static class ProxyUsageParser
{
    // The runtime and its companion packages (the Testing package's fakes): their CreateProxy and AddProxy.
    private const string Runtime = "PlProxy.Client";

    /// <summary>True for syntax that may be such a call: a generic method named CreateProxy or AddProxy with one type argument.</summary>
    public static bool IsCandidate(SyntaxNode node) =>
        node is InvocationExpressionSyntax invocation
        && (invocation.Expression switch
        {
            MemberAccessExpressionSyntax member => member.Name,
            SimpleNameSyntax name => name,
            _ => null,
        }) is GenericNameSyntax { Identifier.ValueText: "CreateProxy" or "AddProxy", TypeArgumentList.Arguments.Count: 1 };

    /// <summary>The diagnostic for a call of PlProxy.Client's own CreateProxy/AddProxy with a type that gets no implementation, or null.</summary>
    public static DiagnosticInfo? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.SemanticModel.GetSymbolInfo(context.Node, cancellationToken).Symbol is not IMethodSymbol { TypeArguments.Length: 1 } method
            || method.ContainingAssembly?.Name is not { } assembly
            || !(assembly == Runtime || assembly.StartsWith(Runtime + ".", System.StringComparison.Ordinal)))
        {
            return null;
        }

        ITypeSymbol type = method.TypeArguments[0];
        if (type is ITypeParameterSymbol || type.TypeKind == TypeKind.Error || InterfaceParser.IsProxyInterface(type))
        {
            return null;
        }

        string reason = type.TypeKind != TypeKind.Interface ? "a proxy is generated only for an interface"
            : type.AllInterfaces.Any(InterfaceParser.IsProxyInterface) ? "it inherits proxy interfaces but neither it nor any of its methods carries [PlProxy]; mark it [PlProxy(\"\")] to have them combined"
            : "neither it nor any of its methods carries [PlProxy]";
        return DiagnosticInfo.Create(DiagnosticDescriptors.NoImplementationId, context.Node.GetLocation(), type.ToDisplayString(), method.Name, reason);
    }
}
