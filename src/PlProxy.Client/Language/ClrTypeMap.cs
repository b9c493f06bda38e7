using System;
using System.Collections.Generic;

namespace PlProxy.Client.Language;

/// <summary>
/// The one table of .NET types and the PostgreSQL types Npgsql reads and writes them as: the generator types proxy
/// parameters with it, the runtime types the arguments of bodies given as text with it, and it says which types
/// Npgsql writes natively (every other type is sent untyped and cast in the SQL).
/// </summary>
internal static class ClrTypeMap
{
    // By the CLR type's full name, so the generator (symbols) and the runtime (System.Type) read the same table.
    private static readonly Dictionary<string, string> ScalarTypes = new(StringComparer.Ordinal)
    {
        ["System.String"] = "text",
        ["System.Int16"] = "int2",
        ["System.Int32"] = "int4",
        ["System.Int64"] = "int8",
        ["System.Boolean"] = "bool",
        ["System.Decimal"] = "numeric",
        ["System.Double"] = "float8",
        ["System.Single"] = "float4",
        ["System.DateTime"] = "timestamptz",
        ["System.DateTimeOffset"] = "timestamptz",
        ["System.DateOnly"] = "date",
        ["System.TimeOnly"] = "time",
        ["System.TimeSpan"] = "interval",
        ["System.Guid"] = "uuid",
        ["System.Byte[]"] = "bytea",
    };

    // PostgreSQL types Npgsql writes natively, as themselves or as array elements.
    private static readonly HashSet<string> WireTypes = new(StringComparer.Ordinal)
    {
        "text", "varchar", "int2", "int4", "int8", "bool", "numeric", "float4", "float8", "uuid", "timestamptz", "timestamp",
        "date", "time", "interval", "bytea", "json", "jsonb",
    };

    /// <summary>The names of the .NET types the table maps, for messages.</summary>
    public const string Supported = "string, short, int, long, bool, decimal, double, float, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan, byte[]";

    /// <summary>The PostgreSQL type of a scalar .NET type given by its full name (<c>System.Int32</c>), or null.</summary>
    public static string? ScalarPgType(string clrFullName) => ScalarTypes.TryGetValue(clrFullName, out string? pgType) ? pgType : null;

    /// <summary>The type to declare a parameter of <paramref name="pgType"/> as to Npgsql, or null to send it untyped.</summary>
    public static string? WireType(string pgType) =>
        WireTypes.Contains(pgType.EndsWith("[]", StringComparison.Ordinal) ? pgType.Substring(0, pgType.Length - 2) : pgType) ? pgType : null;
}
