using Npgsql;

namespace PlProxy.Client.TestSupport;

/// <summary>Statements sent to a database as they are (server-side PL/Proxy, the oracle), arguments typed by Npgsql.</summary>
public static class ServerSideCalls
{
    /// <summary>The first column of the first row (DBNull stays DBNull).</summary>
    public static async Task<object?> ScalarAsync(NpgsqlDataSource database, string sql, CancellationToken cancellationToken, params object[] arguments)
    {
        await using NpgsqlCommand command = Command(database, sql, arguments);
        return await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Every row, each as its column values.</summary>
    public static async Task<List<object?[]>> RowsAsync(NpgsqlDataSource database, string sql, CancellationToken cancellationToken, params object[] arguments)
    {
        await using NpgsqlCommand command = Command(database, sql, arguments);
        var rows = new List<object?[]>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            object?[] row = new object?[reader.FieldCount];
            reader.GetValues(row!);
            rows.Add(row);
        }

        return rows;
    }

    private static NpgsqlCommand Command(NpgsqlDataSource database, string sql, object[] arguments)
    {
        NpgsqlCommand command = database.CreateCommand(sql);
        foreach (object argument in arguments)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = argument });
        }

        return command;
    }
}
