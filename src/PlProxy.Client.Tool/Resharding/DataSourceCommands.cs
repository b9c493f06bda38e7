using Npgsql;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>One-statement commands on a data source, parameters positional (<c>$1</c>, <c>$2</c> ...).</summary>
internal static class DataSourceCommands
{
    public static async Task<T> ScalarAsync<T>(this NpgsqlDataSource database, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using NpgsqlCommand command = Command(database, sql, parameters);
        object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        return value is null or DBNull ? default! : (T)value;
    }

    public static async Task<int> ExecuteAsync(this NpgsqlDataSource database, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using NpgsqlCommand command = Command(database, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public static async Task<List<T>> ListAsync<T>(this NpgsqlDataSource database, string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params object[] parameters)
    {
        await using NpgsqlCommand command = Command(database, sql, parameters);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlDataSource database, string sql, object[] parameters)
    {
        NpgsqlCommand command = database.CreateCommand(sql);
        foreach (object parameter in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        }

        return command;
    }
}
