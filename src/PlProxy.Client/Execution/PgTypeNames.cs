namespace PlProxy.Client.Execution;

/// <summary>The PostgreSQL type Npgsql writes a .NET type as, for arguments of bodies given as text.</summary>
internal static class PgTypeNames
{
    public static string Of(Type type)
    {
        Type underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsArray && underlying != typeof(byte[]))
        {
            return Of(underlying.GetElementType()!) + "[]";
        }

        return Type.GetTypeCode(underlying) switch
        {
            TypeCode.String => "text",
            TypeCode.Int16 => "int2",
            TypeCode.Int32 => "int4",
            TypeCode.Int64 => "int8",
            TypeCode.Boolean => "bool",
            TypeCode.Decimal => "numeric",
            TypeCode.Double => "float8",
            TypeCode.Single => "float4",
            TypeCode.DateTime => "timestamptz",
            _ when underlying == typeof(Guid) => "uuid",
            _ when underlying == typeof(DateTimeOffset) => "timestamptz",
            _ when underlying == typeof(DateOnly) => "date",
            _ when underlying == typeof(TimeOnly) => "time",
            _ when underlying == typeof(byte[]) => "bytea",
            _ => throw new ArgumentException($"{type.Name} has no PostgreSQL type PlProxy.Client knows; give the PostgreSQL type name explicitly."),
        };
    }
}
