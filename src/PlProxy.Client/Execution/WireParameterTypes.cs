using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace PlProxy.Client.Execution;

/// <summary>
/// How an argument's PostgreSQL type is declared to Npgsql: as the <see cref="NpgsqlDbType"/> of its name when Npgsql
/// has one (resolved once per name), so that binding a parameter builds nothing; by name otherwise. Npgsql normalises a
/// <see cref="NpgsqlParameter.DataTypeName"/> into a new string on every bind, which a call would pay per argument.
/// </summary>
internal static class WireParameterTypes
{
    private static readonly ConcurrentDictionary<string, NpgsqlDbType> Known = new(StringComparer.Ordinal);

    /// <summary>Declares <paramref name="parameter"/> as <paramref name="pgType"/> (<c>text</c>, <c>int8[]</c>).</summary>
    public static void Declare(NpgsqlParameter parameter, string pgType)
    {
        NpgsqlDbType type = Known.GetOrAdd(pgType, static name => new NpgsqlParameter { DataTypeName = name }.NpgsqlDbType);
        if (type == NpgsqlDbType.Unknown)
        {
            parameter.DataTypeName = pgType;
        }
        else
        {
            parameter.NpgsqlDbType = type;
        }
    }
}
