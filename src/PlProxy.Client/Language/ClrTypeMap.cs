using System;
using System.Collections.Generic;
using System.Linq;

namespace PlProxy.Client.Language;

/// <summary>
/// The one table of .NET types and the PostgreSQL types Npgsql reads and writes them as: the generator types proxy
/// parameters with it, the runtime types the arguments of bodies given as text with it, and it says which types
/// Npgsql writes natively (every other type is sent untyped and cast in the SQL).
/// </summary>
internal static class ClrTypeMap
{
    // By the CLR type's full name, so the generator (symbols) and the runtime (System.Type) read the same table.
    private static readonly Dictionary<string, (string PgType, string CSharp)> ScalarTypes = new(StringComparer.Ordinal)
    {
        ["System.String"] = ("text", "string"),
        ["System.Int16"] = ("int2", "short"),
        ["System.Int32"] = ("int4", "int"),
        ["System.Int64"] = ("int8", "long"),
        ["System.Boolean"] = ("bool", "bool"),
        ["System.Decimal"] = ("numeric", "decimal"),
        ["System.Double"] = ("float8", "double"),
        ["System.Single"] = ("float4", "float"),
        ["System.DateTime"] = ("timestamptz", "DateTime"),
        ["System.DateTimeOffset"] = ("timestamptz", "DateTimeOffset"),
        ["System.DateOnly"] = ("date", "DateOnly"),
        ["System.TimeOnly"] = ("time", "TimeOnly"),
        ["System.TimeSpan"] = ("interval", "TimeSpan"),
        ["System.Guid"] = ("uuid", "Guid"),
        ["System.Byte[]"] = ("bytea", "byte[]"),
    };

    // PostgreSQL types Npgsql writes natively, as themselves or as array elements.
    private static readonly HashSet<string> WireTypes = new(StringComparer.Ordinal)
    {
        "text", "varchar", "int2", "int4", "int8", "bool", "numeric", "float4", "float8", "uuid", "timestamptz", "timestamp",
        "date", "time", "interval", "bytea", "json", "jsonb",
    };

    /// <summary>The PostgreSQL types Npgsql writes natively (each also as array elements).</summary>
    public static IReadOnlyCollection<string> NativeWireTypes => WireTypes;

    /// <summary>The names of the .NET types the table maps, for messages.</summary>
    public static readonly string Supported = string.Join(", ", ScalarTypes.Values.Select(scalar => scalar.CSharp));

    /// <summary>The PostgreSQL type of a scalar .NET type given by its full name (<c>System.Int32</c>), or null.</summary>
    public static string? ScalarPgType(string clrFullName) => ScalarTypes.TryGetValue(clrFullName, out var scalar) ? scalar.PgType : null;

    /// <summary>How C# source spells a scalar .NET type of the table (<c>int</c> for <c>System.Int32</c>), or null.</summary>
    public static string? CSharpName(string clrFullName) => ScalarTypes.TryGetValue(clrFullName, out var scalar) ? scalar.CSharp : null;

    /// <summary>The type to declare a parameter of <paramref name="pgType"/> as to Npgsql, or null to send it untyped.</summary>
    public static string? WireType(string pgType) =>
        WireTypes.Contains(pgType.EndsWith("[]", StringComparison.Ordinal) ? pgType.Substring(0, pgType.Length - 2) : pgType) ? pgType : null;
}
