using PlProxy.Client.Language;

namespace PlProxy.Client.Execution;

/// <summary>The PostgreSQL type Npgsql writes a .NET type as, for arguments of bodies given as text (the generator's table).</summary>
internal static class PgTypeNames
{
    public static string Of(Type type)
    {
        Type underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsArray && underlying != typeof(byte[]))
        {
            return Of(underlying.GetElementType()!) + "[]";
        }

        return ClrTypeMap.ScalarPgType(underlying.FullName ?? "")
            ?? throw new ArgumentException($"{type.Name} has no PostgreSQL type PlProxy.Client knows ({ClrTypeMap.Supported}, their nullable forms and arrays); give the PostgreSQL type name explicitly.");
    }
}
