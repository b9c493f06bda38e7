using Microsoft.CodeAnalysis;
using PlProxy.Client.Generators.Diagnostics;
using PlProxy.Client.Generators.Model;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Parsing;

/// <summary>
/// The interfaces a proxy interface inherits: the proxy interfaces among them, whose methods its implementation passes
/// on to theirs, and the others, which must have no abstract members.
/// </summary>
internal static class InheritedInterfaceParser
{
    /// <summary>
    /// The proxy interfaces <paramref name="type"/> inherits, each with the methods it declares: the implementation
    /// passes them on to that interface's own implementation. An inherited interface with abstract members that is not
    /// a proxy has nothing to implement them with (PLPX0011).
    /// </summary>
    public static InheritedInterfaceModel[] Parse(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics)
    {
        var inherited = new List<InheritedInterfaceModel>();
        foreach (INamedTypeSymbol parent in type.AllInterfaces)
        {
            ISymbol[] members = parent.GetMembers().Where(m => m.IsAbstract && !m.IsStatic).ToArray();
            if (members.Length == 0)
            {
                continue; // a marker interface, or one whose members have default implementations
            }

            if (!InterfaceParser.IsProxyInterface(parent))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonProxyBaseId, type.Locations.FirstOrDefault(), type.Name, parent.ToDisplayString(), members[0].Name));
                continue;
            }

            if (parent.IsGenericType)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNotSupportedId, type.Locations.FirstOrDefault(), parent.ToDisplayString()));
                continue;
            }

            // Its properties, events and methods without bodies are its own errors, reported where it is declared.
            ForwardedMethodModel[] methods = members.OfType<IMethodSymbol>().Where(m => m.MethodKind == MethodKind.Ordinary).Select(m => new ForwardedMethodModel(
                m.Name,
                m.ReturnType.ToDisplayString(TypeMapper.FullyQualified),
                string.Join(", ", m.Parameters.Select(p => $"{InterfaceParser.ParameterModifier(p.RefKind)}{p.Type.ToDisplayString(TypeMapper.FullyQualified)} {CSharpNames.Escape(p.Name)}")),
                string.Join(", ", m.Parameters.Select(p => $"{InterfaceParser.ArgumentModifier(p.RefKind)}{CSharpNames.Escape(p.Name)}")))).ToArray();
            inherited.Add(new InheritedInterfaceModel(parent.ToDisplayString(TypeMapper.FullyQualified), new EquatableArray<ForwardedMethodModel>(methods)));
        }

        return inherited.ToArray();
    }
}
