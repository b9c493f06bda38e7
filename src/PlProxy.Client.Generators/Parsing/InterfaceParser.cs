using Microsoft.CodeAnalysis;
using PlProxy.Client.Generators.Diagnostics;
using PlProxy.Client.Generators.Model;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Parsing;

/// <summary>
/// Turns a [PlProxy] interface into an <see cref="InterfaceModel"/>: reads its members, maps types, and binds every
/// body with the runtime's own parser and binder, so that every error PL/Proxy or the client would raise is reported
/// at compile time, at the place in the attribute string it concerns. Nothing of Roslyn's leaves this class.
/// </summary>
internal static class InterfaceParser
{
    public const string PlProxyAttributeName = "PlProxy.Client.PlProxyAttribute";
    private const string HashFunctionAttributeName = "PlProxy.Client.HashFunctionAttribute";
    private const string ClusterFunctionAttributeName = "PlProxy.Client.ClusterFunctionAttribute";
    private const string ConnectFunctionAttributeName = "PlProxy.Client.ConnectFunctionAttribute";
    private const string PgTypeAttributeName = "PlProxy.Client.PgTypeAttribute";

    public static ParseResult Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
        Parse((INamedTypeSymbol)context.TargetSymbol, context.Attributes[0], cancellationToken);

    /// <summary>
    /// <c>[PlProxy]</c> on a method. Outside an interface it is misplaced (PLPX0001). In an interface that is not marked
    /// itself, the interface is a proxy all the same (as Refit finds interfaces from their methods), without
    /// interface-level statements: it is parsed once, for its first marked method; null for the others.
    /// </summary>
    public static ParseResult? ParseMethodTarget(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        if (context.TargetSymbol.ContainingType is not { TypeKind: TypeKind.Interface } type)
        {
            return new ParseResult(null, new EquatableArray<DiagnosticInfo>([DiagnosticInfo.Create(DiagnosticDescriptors.MisplacedAttributeId, context.TargetNode.GetLocation(), context.TargetSymbol.Name)]));
        }

        bool first = SymbolEqualityComparer.Default.Equals(type.GetMembers().FirstOrDefault(IsMarked), context.TargetSymbol);
        return IsMarked(type) || !first ? null : Parse(type, interfaceAttribute: null, cancellationToken);
    }

    /// <summary>True when <paramref name="type"/> will have a generated implementation: it, or one of its methods, is marked.</summary>
    public static bool IsProxyInterface(ITypeSymbol type) =>
        type is INamedTypeSymbol { TypeKind: TypeKind.Interface } && (IsMarked(type) || type.GetMembers().Any(IsMarked));

    private static bool IsMarked(ISymbol symbol) =>
        symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == PlProxyAttributeName);

    private static ParseResult Parse(INamedTypeSymbol type, AttributeData? interfaceAttribute, CancellationToken cancellationToken)
    {
        var diagnostics = new List<DiagnosticInfo>();
        try
        {
            InterfaceModel? model = ParseInterface(type, interfaceAttribute, diagnostics, cancellationToken);
            return new ParseResult(diagnostics.Count == 0 ? model : null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.InternalErrorId, type.Locations.FirstOrDefault(), type.Name, e.Message));
            return new ParseResult(null, new EquatableArray<DiagnosticInfo>(diagnostics.ToArray()));
        }
    }

    private static InterfaceModel? ParseInterface(INamedTypeSymbol type, AttributeData? attribute, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        if (type.IsGenericType)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNotSupportedId, type.Locations.FirstOrDefault(), type.Name));
            return null;
        }

        if (Unreachable(type) is { } unreachable)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnreachableInterfaceId, type.Locations.FirstOrDefault(), type.Name, unreachable));
            return null;
        }

        string? interfaceBody = attribute?.ConstructorArguments.FirstOrDefault().Value as string;
        BodySyntax? interfaceSyntax = null;
        if (attribute is not null && interfaceBody is not null)
        {
            interfaceSyntax = Parser.Parse(interfaceBody);
            BodyLocator locator = BodyLocator.For(attribute, cancellationToken);
            foreach (BodyDiagnostic error in interfaceSyntax.Diagnostics)
            {
                diagnostics.Add(DiagnosticInfo.Create(error.Id, locator.Locate(error.Span), error.ToString()));
            }
        }

        FunctionModel[] functions = ParseFunctions(type, diagnostics);
        var catalog = new FunctionCatalog(functions.Select(f => new UserFunction(
            f.SqlName, new EquatableArray<PgType>(f.ParameterPgTypes.Select(PgType.Parse).ToArray()), PgType.Parse(f.ResultPgType), f.ReturnsSet)).ToArray());

        var methods = new List<MethodModel>();
        foreach (ISymbol member in type.GetMembers())
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (member)
            {
                case IMethodSymbol { MethodKind: MethodKind.Ordinary, IsStatic: false, IsAbstract: true } method:
                    MethodModel? model = ParseMethod(type, method, attribute, interfaceSyntax, catalog, diagnostics, cancellationToken);
                    if (model is not null)
                    {
                        methods.Add(model);
                    }

                    break;
                case IPropertySymbol { IsAbstract: true } or IEventSymbol { IsAbstract: true }:
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.NonMethodMemberId, member.Locations.FirstOrDefault(), member.Name));
                    break;
            }
        }

        InheritedInterfaceModel[] inherited = InheritedInterfaceParser.Parse(type, diagnostics);
        string implementation = ImplementationName(type);
        return new InterfaceModel(
            type.ContainingNamespace.IsGlobalNamespace ? "" : type.ContainingNamespace.ToDisplayString(),
            type.ToDisplayString(TypeMapper.FullyQualified),
            implementation,
            interfaceBody,
            new EquatableArray<MethodModel>(methods.ToArray()),
            new EquatableArray<FunctionModel>(functions),
            new EquatableArray<InheritedInterfaceModel>(inherited));
    }

    // Why the generated class, declared beside the interface in its namespace, could not name it; null when it can.
    private static string? Unreachable(INamedTypeSymbol type)
    {
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            string who = SymbolEqualityComparer.Default.Equals(current, type) ? "is" : $"is nested in '{current.Name}', which is";
            if (current.IsFileLocal)
            {
                return $"{who} file-local";
            }

            if (current.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                return $"{who} {Microsoft.CodeAnalysis.CSharp.SyntaxFacts.GetText(current.DeclaredAccessibility)}";
            }
        }

        return null;
    }

    /// <summary>
    /// The generated class's name, unique in the namespace (it is also the source's hint name): the interface's name
    /// after the types it is nested in, joined by <c>_</c> (<c>Outer_IUserDb_PlProxy</c>). Names that have a <c>_</c> of
    /// their own could meet another interface's (<c>Outer.IUserDb</c> and <c>Outer_IUserDb</c>), so those carry a hash
    /// of the interface's metadata name as well.
    /// </summary>
    private static string ImplementationName(INamedTypeSymbol type)
    {
        string[] names = ContainingTypes(type).Select(t => t.Name).ToArray();
        string joined = string.Join("_", names);
        if (!names.Any(n => n.Contains('_')))
        {
            return joined + "_PlProxy";
        }

        uint hash = 2166136261; // FNV-1a of the nested names, stable across compilers and runs
        foreach (char c in string.Join("+", names))
        {
            hash = (hash ^ c) * 16777619;
        }

        return $"{joined}_{hash:X8}_PlProxy";
    }

    private static IEnumerable<INamedTypeSymbol> ContainingTypes(INamedTypeSymbol type)
    {
        var chain = new Stack<INamedTypeSymbol>();
        for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
        {
            chain.Push(current);
        }

        return chain;
    }

    private static FunctionModel[] ParseFunctions(INamedTypeSymbol type, List<DiagnosticInfo> diagnostics)
    {
        var functions = new List<FunctionModel>();
        foreach (IMethodSymbol method in type.GetMembers().OfType<IMethodSymbol>().Where(m => m.IsStatic))
        {
            foreach (AttributeData attribute in method.GetAttributes())
            {
                string? kind = attribute.AttributeClass?.ToDisplayString();
                if (kind is not (HashFunctionAttributeName or ClusterFunctionAttributeName or ConnectFunctionAttributeName)
                    || attribute.ConstructorArguments.FirstOrDefault().Value is not string sqlName)
                {
                    continue;
                }

                // The parameters a proxy method may have (arrays, lists, nullable forms, enums and overrides through
                // [PgType]), typed as a proxy method's are, so the binder applies PL/Proxy's type rules to both alike.
                var parameterTypes = new List<string>();
                var arguments = new List<string>();
                string? problem = null;
                foreach (IParameterSymbol parameter in method.Parameters)
                {
                    string? pgType = ParameterPgType(parameter, out _, out string reason);
                    if (pgType is null)
                    {
                        problem ??= $"its parameter '{parameter.Name}': {reason}";
                    }

                    parameterTypes.Add(pgType ?? "");
                    arguments.Add(ArgumentExpression(parameter.Type, $"a[{arguments.Count}]"));
                }

                bool returnsSet = false;
                string? resultType;
                if (kind == HashFunctionAttributeName)
                {
                    ITypeSymbol? element = TypeMapper.ElementOf(method.ReturnType, out _);
                    returnsSet = element is not null && method.ReturnType is INamedTypeSymbol;
                    resultType = TypeMapper.ScalarPgType(returnsSet ? element! : method.ReturnType);
                    if (resultType is not ("int2" or "int4" or "int8"))
                    {
                        problem ??= "a hash function returns short, int or long, or an IEnumerable<T> of them";
                    }
                }
                else
                {
                    resultType = method.ReturnType.SpecialType == SpecialType.System_String ? "text" : null;
                    if (resultType is null)
                    {
                        problem ??= "a cluster or connect function returns string";
                    }
                }

                if (method.IsGenericMethod)
                {
                    problem ??= "it is generic";
                }

                if (problem is not null)
                {
                    diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedFunctionId, method.Locations.FirstOrDefault(), sqlName, problem));
                    continue;
                }

                functions.Add(new FunctionModel(
                    sqlName,
                    method.Name,
                    new EquatableArray<string>(parameterTypes.ToArray()),
                    new EquatableArray<string>(arguments.ToArray()),
                    resultType!,
                    returnsSet));
            }
        }

        return functions.ToArray();
    }

    // How a function's argument comes out of the values the body evaluated: as the parameter's type, except an enum,
    // which travels as its label (what the proxy method sends) and is turned back into the member.
    private static string ArgumentExpression(ITypeSymbol type, string value)
    {
        string display = type.ToDisplayString(TypeMapper.FullyQualified);
        bool nullable = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };
        ITypeSymbol underlying = nullable ? ((INamedTypeSymbol)type).TypeArguments[0] : type;
        if (underlying.TypeKind == TypeKind.Enum)
        {
            string fromLabel = $"global::PlProxy.Client.Proxies.ProxyArguments.EnumFromLabel<{underlying.ToDisplayString(TypeMapper.FullyQualified)}>({value})";
            return nullable ? fromLabel : $"({display}){fromLabel}!";
        }

        return $"({display}){value}!";
    }

    private static MethodModel? ParseMethod(
        INamedTypeSymbol type, IMethodSymbol method, AttributeData? interfaceAttribute, BodySyntax? interfaceSyntax,
        IFunctionCatalog catalog, List<DiagnosticInfo> diagnostics, CancellationToken cancellationToken)
    {
        Location? location = method.Locations.FirstOrDefault();
        AttributeData? attribute = method.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == PlProxyAttributeName);
        if (attribute?.ConstructorArguments.FirstOrDefault().Value is not string body)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.MethodWithoutBodyId, location, method.Name, type.Name));
            return null;
        }

        if (method.IsGenericMethod)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.GenericNotSupportedId, location, method.Name));
            return null;
        }

        int errors = diagnostics.Count;
        var parameters = new List<ParameterModel>();
        bool hasToken = false;
        foreach (IParameterSymbol parameter in method.Parameters)
        {
            string typeDisplay = parameter.Type.ToDisplayString(TypeMapper.FullyQualified);
            if (parameter.Type.ToDisplayString() == "System.Threading.CancellationToken" && !hasToken)
            {
                hasToken = true;
                parameters.Add(new ParameterModel(parameter.Name, typeDisplay, "", true, parameter.Name));
                continue;
            }

            if (parameter.RefKind is not (RefKind.None or RefKind.In or RefKind.RefReadOnlyParameter) || parameter.IsParams)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameterId, parameter.Locations.FirstOrDefault(), parameter.Name, method.Name, "ref, out and params parameters are not arguments of a PostgreSQL function"));
                continue;
            }

            if (parameters.Find(p => !p.IsCancellationToken && string.Equals(p.Name, parameter.Name, StringComparison.OrdinalIgnoreCase)) is { } same)
            {
                // A body names arguments as PostgreSQL does, without case: RUN ON hashtext(Value) would route by 'value'.
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameterId, parameter.Locations.FirstOrDefault(), parameter.Name, method.Name, $"its name differs from parameter '{same.Name}' only in case, and a body names arguments without case, as PostgreSQL does"));
                continue;
            }

            string? pgType = ParameterPgType(parameter, out bool convertToArray, out string reason);
            if (pgType is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedParameterId, parameter.Locations.FirstOrDefault(), parameter.Name, method.Name, reason));
                continue;
            }

            string name = CSharpNames.Escape(parameter.Name);
            bool isEnum = (parameter.Type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } n ? n.TypeArguments[0] : parameter.Type).TypeKind == TypeKind.Enum;
            string value = convertToArray ? $"{name} is null ? null : global::System.Linq.Enumerable.ToArray({name})"
                : isEnum ? $"global::PlProxy.Client.Proxies.ProxyArguments.EnumLabel({name})"
                : name;
            parameters.Add(new ParameterModel(parameter.Name, typeDisplay, pgType, false, value, ParameterModifier(parameter.RefKind)));
        }

        (ReturnShape shape, ResultModel? result) = ResultParser.Parse(method, diagnostics);
        if (diagnostics.Count > errors)
        {
            return null;
        }

        // Bind with the runtime's binder: the same decisions at compile time as at run time.
        bool replaces = attribute.NamedArguments.FirstOrDefault(a => a.Key == "ReplacesInterfaceStatements").Value.Value is true;
        bool returnsSet = shape is ReturnShape.TaskOfList or ReturnShape.ValueTaskOfList or ReturnShape.Stream or ReturnShape.TaskOfPartial;
        string functionName = SqlNames.FromMethodName(method.Name);
        var signature = new FunctionSignature(
            functionName,
            new EquatableArray<ParameterSignature>(parameters.Where(p => !p.IsCancellationToken).Select(p => new ParameterSignature(p.Name, PgType.Parse(p.PgType))).ToArray()),
            returnsSet);
        BodySyntax methodSyntax = Parser.Parse(body);
        BindResult bound = Binder.Bind(interfaceSyntax, methodSyntax, replaces, signature, catalog);
        if (!bound.Succeeded)
        {
            BodyLocator methodLocator = BodyLocator.For(attribute, cancellationToken);
            // Only an interface with statements of its own (so with its attribute) can be where an error is.
            BodyLocator? interfaceLocator = interfaceAttribute is null ? null : BodyLocator.For(interfaceAttribute, cancellationToken);
            foreach (BodyDiagnostic error in bound.Diagnostics)
            {
                Location errorLocation = (error.InInterfaceBody && interfaceLocator is not null ? interfaceLocator : methodLocator).Locate(error.Span);
                diagnostics.Add(DiagnosticInfo.Create(error.Id, errorLocation, $"{method.Name}: {error}"));
            }

            return null;
        }

        (string? mergeOrder, string? limitParameter, string? mergeProblem) = MergeOrderParser.Parse(method, shape, result, bound.Function!.Run);
        if (mergeProblem is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnorderableMergeId, location, method.Name, mergeProblem));
            return null;
        }

        return new MethodModel(
            method.Name,
            method.ReturnType.ToDisplayString(TypeMapper.FullyQualified),
            shape,
            functionName,
            body,
            replaces,
            new EquatableArray<ParameterModel>(parameters.ToArray()),
            result,
            method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "PlProxy.Client.IdempotentAttribute"),
            bound.Function!.ClusterName,
            method.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == "PlProxy.Client.NotCoalescedAttribute"),
            HasAttribute(method, ReadFromStandbyAttribute) || HasAttribute(type, ReadFromStandbyAttribute), // on the interface: each method's default
            mergeOrder,
            limitParameter);
    }

    private const string ReadFromStandbyAttribute = "PlProxy.Client.ReadFromStandbyAttribute";

    internal static bool HasAttribute(ISymbol symbol, string name) => symbol.GetAttributes().Any(a => a.AttributeClass?.ToDisplayString() == name);

    /// <summary>Why a <c>[PgType]</c> name is refused: it goes into the SQL text as a cast.</summary>
    internal static string NotATypeName(string pgType) => $"[PgType] {SqlNames.NotATypeName(pgType)}";

    // The PostgreSQL type a parameter is sent as: its [PgType] or its C# type's; null, with the reason, when it has none or
    // the [PgType] is not a type name.
    private static string? ParameterPgType(IParameterSymbol parameter, out bool convertToArray, out string reason)
    {
        string? pgType = TypeMapper.ParameterPgType(parameter.Type, out convertToArray, out reason);
        pgType = parameter.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == PgTypeAttributeName)?.ConstructorArguments.FirstOrDefault().Value as string ?? pgType;
        if (pgType is not null && !SqlNames.IsTypeName(pgType))
        {
            reason = NotATypeName(pgType);
            return null;
        }

        return pgType;
    }

    /// <summary>A parameter's modifier as its declaration writes it.</summary>
    internal static string ParameterModifier(RefKind kind) => kind switch
    {
        RefKind.In => "in ",
        RefKind.RefReadOnlyParameter => "ref readonly ",
        RefKind.Ref => "ref ",
        RefKind.Out => "out ",
        _ => "",
    };

    /// <summary>The modifier an argument passed on to such a parameter takes.</summary>
    internal static string ArgumentModifier(RefKind kind) => kind switch
    {
        RefKind.In or RefKind.RefReadOnlyParameter => "in ",
        RefKind.Ref => "ref ",
        RefKind.Out => "out ",
        _ => "",
    };
}
