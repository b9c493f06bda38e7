using Npgsql;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Execution;

/// <summary>
/// The Npgsql command of one database's part of a call: the method's statement with its arguments (a SPLIT argument already cut
/// to this database's elements), executed so that a cancelled statement really stops, and sent once more when a
/// partition's DDL made its prepared form stale.
/// </summary>
internal static class PartitionCommand
{
    // The reader owns the connection: disposing it returns the connection to its pool. Direct connections prepare
    // statements automatically; when a partition's DDL has changed what a prepared statement returns, PostgreSQL
    // refuses it before running anything ("cached plan must not change result type"), so the statement is sent once
    // more on a connection whose prepared statements were dropped.
    public static async ValueTask<NpgsqlDataReader> ExecuteReaderAsync(NpgsqlDataSource dataSource, Route route, object?[] arguments, NpgsqlConnection connection, TargetCursor cursor, CancellationToken cancellationToken)
    {
        try
        {
            cursor.Command = CreateCommand(route.Call, arguments, connection);
            return await ExecuteUntilCancelledAsync(cursor.Command, dataSource, route.Cluster.SignalsBackends, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e is { SqlState: PostgresErrorCodes.FeatureNotSupported, Routine: "RevalidateCachedQuery" })
        {
            NpgsqlConnection fresh = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                fresh.UnprepareAll();
                cursor.Command = CreateCommand(route.Call, arguments, fresh);
                return await ExecuteUntilCancelledAsync(cursor.Command, dataSource, route.Cluster.SignalsBackends, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                await fresh.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }
    }

    // Npgsql cancels the statement when the token fires before its first row; should PostgreSQL ignore that cancel
    // (it came before the statement started), the backend is signalled until the statement stops.
    private static async Task<NpgsqlDataReader> ExecuteUntilCancelledAsync(NpgsqlCommand command, NpgsqlDataSource dataSource, bool signalsBackend, CancellationToken cancellationToken)
    {
        Task<NpgsqlDataReader> execute = command.ExecuteReaderAsync(System.Data.CommandBehavior.CloseConnection, cancellationToken);
        if (execute.IsCompleted || !signalsBackend || !cancellationToken.CanBeCanceled)
        {
            return await execute.ConfigureAwait(false);
        }

        int processId = command.Connection!.ProcessID;
        await using (cancellationToken.UnsafeRegister(
            static state =>
            {
                var (execute, dataSource, processId, sql) = ((Task<NpgsqlDataReader>, NpgsqlDataSource, int, string))state!;
                _ = StatementStopper.StopAsync(execute, dataSource, processId, sql);
            },
            (execute, dataSource, processId, command.CommandText)).ConfigureAwait(false))
        {
            return await execute.ConfigureAwait(false);
        }
    }

    private static NpgsqlCommand CreateCommand(RemoteCall call, object?[] arguments, NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(call.Sql, connection);
        foreach (int index in call.ParameterOrder)
        {
            object? value = arguments[index];
            var parameter = new NpgsqlParameter { Value = value ?? DBNull.Value };
            if (call.ParameterWireTypes[index] is { } wireType)
            {
                parameter.DataTypeName = wireType;
            }
            else if (value is object?[])
            {
                parameter.DataTypeName = call.ParameterTypes[index]; // a list cut to an object array: the declared type says what its elements are
            }

            command.Parameters.Add(parameter);
        }

        return command;
    }
}
