using Microsoft.CodeAnalysis;
using PlProxy.Client.Language;

namespace PlProxy.Client.Generators.Parsing;

/// <summary>Maps C# types to the PostgreSQL types Npgsql reads and writes them as, and writes the code that reads them.</summary>
internal static class TypeMapper
{
    public static readonly SymbolDisplayFormat FullyQualified = SymbolDisplayFormat.FullyQualifiedFormat
        .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

    /// <summary>The PostgreSQL type of a scalar (Nullable&lt;T&gt; unwrapped), or null.</summary>
    public static string? ScalarPgType(ITypeSymbol type)
    {
        type = Unwrap(type);
        string fullName = type is IArrayTypeSymbol { Rank: 1 } array
            ? array.ElementType.ToDisplayString() == "byte" ? "System.Byte[]" : ""
            : type.ContainingNamespace is { IsGlobalNamespace: false } ns ? $"{ns.ToDisplayString()}.{type.MetadataName}" : type.MetadataName;
        return ClrTypeMap.ScalarPgType(fullName);
    }

    /// <summary>
    /// The PostgreSQL type of a parameter: a scalar, or an array of scalars given as an array or a read-only list
    /// (converted to an array for Npgsql). Null with <paramref name="reason"/> when unsupported.
    /// </summary>
    public static string? ParameterPgType(ITypeSymbol type, out bool convertToArray, out string reason)
    {
        convertToArray = false;
        reason = "";
        if (ScalarPgType(type) is { } scalar)
        {
            return scalar;
        }

        ITypeSymbol? element = ElementOf(type, out convertToArray);
        if (element is not null && ScalarPgType(element) is { } elementType && elementType != "bytea")
        {
            return elementType + "[]";
        }

        reason = Unwrap(type).TypeKind == TypeKind.Enum
            ? "enums are not mapped automatically; pass the label as a string and name the PostgreSQL enum with [PgType(\"...\")]"
            : $"'{type.ToDisplayString()}' has no PostgreSQL type (supported: {ClrTypeMap.Supported}, their nullable forms, and arrays or IReadOnlyList<T> of them); name one with [PgType(\"...\")]";
        return null;
    }

    /// <summary>The element of T[] (not byte[]), IReadOnlyList&lt;T&gt;, IList&lt;T&gt;, List&lt;T&gt; or IEnumerable&lt;T&gt;.</summary>
    public static ITypeSymbol? ElementOf(ITypeSymbol type, out bool convertToArray)
    {
        convertToArray = false;
        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            return array.ElementType;
        }

        if (type is INamedTypeSymbol { IsGenericType: true, TypeArguments.Length: 1 } named
            && named.ConstructedFrom.ToDisplayString() is "System.Collections.Generic.IReadOnlyList<T>" or "System.Collections.Generic.IList<T>"
                or "System.Collections.Generic.List<T>" or "System.Collections.Generic.IEnumerable<T>" or "System.Collections.Generic.IReadOnlyCollection<T>"
                or "System.Collections.Generic.ICollection<T>")
        {
            convertToArray = true;
            return named.TypeArguments[0];
        }

        return null;
    }

    /// <summary>Code that reads a value of <paramref name="type"/> from reader <c>r</c> at <paramref name="ordinal"/>, or null when the type is not a readable scalar.</summary>
    public static string? ReadExpression(ITypeSymbol type, string ordinal)
    {
        bool isArray = type is IArrayTypeSymbol { Rank: 1 } array && array.ElementType.SpecialType != SpecialType.System_Byte && ScalarPgType(array.ElementType) is not null;
        if (ScalarPgType(type) is null && !isArray)
        {
            return null;
        }

        const string Read = "global::PlProxy.Client.Proxies.ProxyRead";
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            return $"{Read}.NullableValue<{nullable.TypeArguments[0].ToDisplayString(FullyQualified)}>(r, {ordinal})";
        }

        string display = type.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(FullyQualified);
        return type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated
            ? $"{Read}.NullableReference<{display}>(r, {ordinal})"
            : $"{Read}.Required<{display}>(r, {ordinal})";
    }

    private static ITypeSymbol Unwrap(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;
}
