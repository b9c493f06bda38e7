using Microsoft.CodeAnalysis;
using PlProxy.Client.Generators.Diagnostics;
using PlProxy.Client.Generators.Model;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Parsing;

/// <summary>
/// A proxy method's return type: its shape (a task, a list, a stream ...) and its rows, a scalar read by position or a
/// row type whose constructor parameters and settable properties take the columns by name.
/// </summary>
internal static class ResultParser
{
    private const string PgTypeAttributeName = "PlProxy.Client.PgTypeAttribute";

    /// <summary>How <paramref name="method"/> returns, and what its rows are read as (null for none, or on an error).</summary>
    public static (ReturnShape Shape, ResultModel? Result) Parse(IMethodSymbol method, List<DiagnosticInfo> diagnostics)
    {
        ITypeSymbol returnType = method.ReturnType;
        string display = returnType.OriginalDefinition.ToDisplayString();
        ITypeSymbol? argument = returnType is INamedTypeSymbol { TypeArguments.Length: 1 } named ? named.TypeArguments[0] : null;
        switch (display)
        {
            case "System.Threading.Tasks.Task":
                return (ReturnShape.Task, null);
            case "System.Threading.Tasks.ValueTask":
                return (ReturnShape.ValueTask, null);
            case "System.Collections.Generic.IAsyncEnumerable<T>":
                return (ReturnShape.Stream, Result(method, argument!, diagnostics));
            case "System.Threading.Tasks.Task<TResult>" or "System.Threading.Tasks.ValueTask<TResult>":
                bool isTask = display.StartsWith("System.Threading.Tasks.Task", StringComparison.Ordinal);
                if (isTask && argument is INamedTypeSymbol { TypeArguments.Length: 1 } partial
                    && partial.OriginalDefinition.ToDisplayString() == "PlProxy.Client.PlProxyPartialResult<T>")
                {
                    return (ReturnShape.TaskOfPartial, Result(method, partial.TypeArguments[0], diagnostics));
                }

                if (argument is INamedTypeSymbol { TypeArguments.Length: 1 } list
                    && list.OriginalDefinition.ToDisplayString() == "System.Collections.Generic.IReadOnlyList<T>")
                {
                    return (isTask ? ReturnShape.TaskOfList : ReturnShape.ValueTaskOfList, Result(method, list.TypeArguments[0], diagnostics));
                }

                return (isTask ? ReturnShape.TaskOfSingle : ReturnShape.ValueTaskOfSingle, Result(method, argument!, diagnostics));
            default:
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnTypeId, method.Locations.FirstOrDefault(), method.Name, returnType.ToDisplayString(),
                    "proxy methods are asynchronous: return Task, ValueTask, Task<T>, ValueTask<T>, Task<IReadOnlyList<T>>, Task<PlProxyPartialResult<T>> or IAsyncEnumerable<T>"));
                return (ReturnShape.Task, null);
        }
    }

    private static ResultModel? Result(IMethodSymbol method, ITypeSymbol type, List<DiagnosticInfo> diagnostics)
    {
        string display = type.ToDisplayString(TypeMapper.FullyQualified);
        if (TypeMapper.ReadExpression(type, "0") is { } scalarRead)
        {
            // [return: PgType("timestamp")] names the type to read the result as where the C# type's own would change it.
            string pgType = method.GetReturnTypeAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == PgTypeAttributeName)?.ConstructorArguments.FirstOrDefault().Value as string
                ?? TypeMapper.ScalarPgType(type) ?? TypeMapper.ParameterPgType(type, out _, out _)!;
            if (!SqlNames.IsTypeName(pgType))
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnTypeId, method.Locations.FirstOrDefault(), method.Name, type.ToDisplayString(), InterfaceParser.NotATypeName(pgType)));
                return null;
            }

            return new ResultModel(display, pgType, scalarRead, EquatableArray<ColumnModel>.Empty, false);
        }

        string? notARow = type.IsTupleType ? "a tuple's elements are not columns by name; declare a record with a member per column"
            : type.AllInterfaces.Any(i => i.SpecialType == SpecialType.System_Collections_IEnumerable) ? "a collection is not a row; return IReadOnlyList<T> (or IAsyncEnumerable<T>) for rows, or an array of a scalar for a PostgreSQL array"
            : null;
        if (notARow is not null)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnTypeId, method.Locations.FirstOrDefault(), method.Name, type.ToDisplayString(), notARow));
            return null;
        }

        // A nullable struct row (Row?) is its struct, null when the row's columns are all NULL as a nullable class row is.
        bool nullableStruct = type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T };
        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct, IsAbstract: false } composite
            || (nullableStruct && (composite = (INamedTypeSymbol)composite.TypeArguments[0]).TypeKind != TypeKind.Struct))
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnTypeId, method.Locations.FirstOrDefault(), method.Name, type.ToDisplayString(),
                "a result is a scalar (string, int, decimal, Guid ...) or a class, record or struct whose properties take the columns by name"));
            return null;
        }

        // The constructor with the most parameters takes its columns by parameter name; settable properties it does not cover take the rest.
        IMethodSymbol? constructor = composite.InstanceConstructors
            .Where(c => c.DeclaredAccessibility == Accessibility.Public)
            .OrderByDescending(c => c.Parameters.Length)
            .FirstOrDefault();
        if (constructor is null && composite.TypeKind == TypeKind.Class)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnTypeId, method.Locations.FirstOrDefault(), method.Name, type.ToDisplayString(),
                "it has no public constructor to create a row with"));
            return null;
        }

        var columns = new List<ColumnModel>();
        var covered = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (IParameterSymbol parameter in constructor?.Parameters ?? [])
        {
            string? read = TypeMapper.ReadExpression(parameter.Type, "{0}");
            if (read is null)
            {
                diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnTypeId, method.Locations.FirstOrDefault(), method.Name, type.ToDisplayString(),
                    $"its constructor parameter '{parameter.Name}' of type '{parameter.Type.ToDisplayString()}' cannot be read from a column"));
                return null;
            }

            columns.Add(new ColumnModel(parameter.Name, read, true, parameter.Type.ToDisplayString(TypeMapper.FullyQualified)));
            covered.Add(parameter.Name);
        }

        foreach (IPropertySymbol property in composite.GetMembers().OfType<IPropertySymbol>())
        {
            if (property.IsStatic || property.SetMethod is null || property.SetMethod.DeclaredAccessibility != Accessibility.Public
                || property.DeclaredAccessibility != Accessibility.Public || covered.Contains(property.Name) || property.IsIndexer)
            {
                continue;
            }

            string? read = TypeMapper.ReadExpression(property.Type, "{0}");
            if (read is not null)
            {
                columns.Add(new ColumnModel(property.Name, read, false, property.Type.ToDisplayString(TypeMapper.FullyQualified)));
            }
        }

        if (columns.Count == 0)
        {
            diagnostics.Add(DiagnosticInfo.Create(DiagnosticDescriptors.UnsupportedReturnTypeId, method.Locations.FirstOrDefault(), method.Name, type.ToDisplayString(),
                "it has no public constructor parameters or settable properties to take the result columns"));
            return null;
        }

        bool nullable = nullableStruct || (type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated);
        return new ResultModel(display, null, null, new EquatableArray<ColumnModel>(columns.ToArray()), nullable);
    }
}
