using Npgsql;
using NpgsqlTypes;

namespace PlProxy.Client.PgQ;

/// <summary>An event's text fields as positional parameters: typed text, NULL where a field is absent.</summary>
internal static class TextParameters
{
    public static void Add(NpgsqlCommand command, params string?[] values)
    {
        foreach (string? value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value });
        }
    }
}
