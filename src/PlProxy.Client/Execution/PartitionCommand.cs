using System.Runtime.CompilerServices;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;
using Polly;

namespace PlProxy.Client.Execution;

/// <summary>
/// The Npgsql command of one database's part of a call: a connection opened, the method's statement with its
/// arguments (a SPLIT argument already cut to this database's elements), executed so that a cancelled statement
/// really stops, and sent once more when a partition's DDL made its prepared form stale.
/// </summary>
internal static class PartitionCommand
{
    /// <summary>
    /// One attempt at a database, the unit the partition's pipeline retries: a slot of the partition's gate taken (or
    /// the call queued, and its rows read in a shared round trip), a connection opened and the statement executed, a
    /// failure returned as the outcome (one whose connection could not be opened marked so: such a call
    /// never reached the server). The reader owns the connection: disposing it returns the connection to its pool.
    /// Direct connections prepare statements automatically; when a partition's DDL has changed what a prepared
    /// statement returns, PostgreSQL refuses it before running anything ("cached plan must not change result type"),
    /// so the statement is sent once more on a connection whose prepared statements were dropped.
    /// </summary>
    public static ValueTask<Outcome<object>> AttemptAsync(Attempt attempt, CancellationToken cancellationToken)
    {
        bool shares = attempt.SharedRows is not null;
        if (attempt.Gate is not { } gate || gate.TryEnter(shares, attempt.Quick))
        {
            attempt.Cursor.SlotTaken?.TrySetResult();
            return RunOnSlotAsync(attempt, shares, cancellationToken); // the common case: one async frame between the pipeline and Npgsql
        }

        return QueueAsync(attempt, gate, shares, cancellationToken);
    }

    // Every connection is busy: queue for one of its own, or to share the next round trip (its rows come back).
    private static async ValueTask<Outcome<object>> QueueAsync(Attempt attempt, PartitionGate gate, bool shares, CancellationToken cancellationToken)
    {
        object queued;
        try
        {
            queued = await new QueuedCall(attempt, attempt.SharedRows).WaitAsync(gate, attempt.DataSource, attempt.QueueTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Observed(attempt, Outcome.FromException<object>(e));
        }

        attempt.Cursor.SlotTaken?.TrySetResult();
        return queued == QueuedCall.Granted
            ? await RunOnSlotAsync(attempt, shares, cancellationToken).ConfigureAwait(false)
            : Outcome.FromResult(queued);
    }

    // A failure on a replicated partition's primary that may be a failover (the host gone, or a standby now) has its
    // monitor check the hosts at once, so the retry finds the promoted primary.
    private static Outcome<object> Observed(Attempt attempt, Outcome<object> outcome)
    {
        if (attempt.Replicas is { } replicas && outcome.Exception is { } error && (FailureClassifier.IsPartitionFailure(error) || FailureClassifier.IsReadOnly(error)))
        {
            replicas.Monitor.Suspect();
        }

        return outcome;
    }

    // The attempt on a connection of its own, the gate's slot (when there is a gate) held: a connection opened and
    // the statement executed.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<Outcome<object>> RunOnSlotAsync(Attempt attempt, bool shares, CancellationToken cancellationToken)
    {
        NpgsqlConnection connection;
        try
        {
            connection = await IdleConnectionCheck.OpenAsync(attempt.DataSource, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            return Finished(attempt, shares, Outcome.FromException<object>(OpenFailed(e))); // never reached the server
        }

        try
        {
            try
            {
                return Finished(attempt, shares, Outcome.FromResult<object>(await ExecuteAsync(attempt, connection, cancellationToken).ConfigureAwait(false)));
            }
            catch (PostgresException e) when (IsStalePreparedStatement(e))
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                connection = await attempt.DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                connection.UnprepareAll();
                return Finished(attempt, shares, Outcome.FromResult<object>(await ExecuteAsync(attempt, connection, cancellationToken).ConfigureAwait(false)));
            }
        }
        catch (Exception e)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            return Finished(attempt, shares, Outcome.FromException<object>(e));
        }
    }

    /// <summary>
    /// What a failure to open a partition's connection is to the call: a connect failure (it never reached the server,
    /// so it may be retried), its cancellation, or the data source's disposal (the pools are closed: not the partition's
    /// failure, and nothing to retry).
    /// </summary>
    public static Exception OpenFailed(Exception error) => error switch
    {
        OperationCanceledException => error,
        ObjectDisposedException => PoolRegistry.Disposed(),
        _ => new ConnectFailedException(error),
    };

    // The attempt's end on its slot: observed (a possible failover), and the slot kept by the cursor when rows came,
    // given back to the gate on a failure.
    private static Outcome<object> Finished(Attempt attempt, bool shares, Outcome<object> outcome)
    {
        outcome = Observed(attempt, outcome);
        if (attempt.Gate is { } held)
        {
            if (outcome.Exception is null)
            {
                attempt.Cursor.Slot = held; // given back when the cursor is done with the connection
                attempt.Cursor.SlotShared = shares;
            }
            else
            {
                GateSlot.Release(held, attempt.DataSource, shares);
            }
        }

        return outcome;
    }

    /// <summary>PostgreSQL refused a prepared statement a partition's DDL made stale ("cached plan must not change result type"), before running it.</summary>
    public static bool IsStalePreparedStatement(PostgresException error) =>
        error is { SqlState: PostgresErrorCodes.FeatureNotSupported, Routine: "RevalidateCachedQuery" };

    private static Task<NpgsqlDataReader> ExecuteAsync(Attempt attempt, NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        if (attempt.Measured)
        {
            attempt.Cursor.MeasureFrom(); // how long the function runs decides whether its calls may share round trips
        }

        attempt.Cursor.Command = CreateCommand(attempt.Route.Call, attempt.Arguments, connection);
        return ExecuteUntilCancelledAsync(attempt.Cursor.Command, attempt.DataSource, attempt.Route.Cluster.SignalsBackends, cancellationToken);
    }

    // Npgsql cancels the statement when the token fires before its first row; should PostgreSQL ignore that cancel
    // (it came before the statement started), the backend is signalled until the statement stops. Without a token
    // that can fire, or where the backend cannot be signalled, Npgsql's own task is the result: no frame of ours.
    // The backend's process ID is read before the statement is sent: one that fails at once closes the connection
    // (CloseConnection), and reading it then would throw instead of the statement's own error.
    private static Task<NpgsqlDataReader> ExecuteUntilCancelledAsync(NpgsqlCommand command, NpgsqlDataSource dataSource, bool signalsBackend, CancellationToken cancellationToken)
    {
        bool signals = signalsBackend && cancellationToken.CanBeCanceled;
        int processId = signals ? command.Connection!.ProcessID : 0;
        Task<NpgsqlDataReader> execute = command.ExecuteReaderAsync(System.Data.CommandBehavior.CloseConnection, cancellationToken);
        return execute.IsCompleted || !signals
            ? execute
            : SignalWhenCancelledAsync(execute, command.CommandText, processId, dataSource, cancellationToken);
    }

    private static async Task<NpgsqlDataReader> SignalWhenCancelledAsync(Task<NpgsqlDataReader> execute, string sql, int processId, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using (cancellationToken.UnsafeRegister(
            static state =>
            {
                var (execute, dataSource, processId, sql) = ((Task<NpgsqlDataReader>, NpgsqlDataSource, int, string))state!;
                _ = StatementStopper.StopAsync(execute, dataSource, processId, sql);
            },
            (execute, dataSource, processId, sql)).ConfigureAwait(false))
        {
            return await execute.ConfigureAwait(false);
        }
    }

    private static NpgsqlCommand CreateCommand(RemoteCall call, object?[] arguments, NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(call.Sql, connection);
        AddParameters(command.Parameters, call, arguments);
        return command;
    }

    /// <summary>The statement of one call in a batch: the same SQL and parameters as alone.</summary>
    public static NpgsqlBatchCommand CreateBatchCommand(RemoteCall call, object?[] arguments)
    {
        var command = new NpgsqlBatchCommand(call.Sql);
        AddParameters(command.Parameters, call, arguments);
        return command;
    }

    private static void AddParameters(NpgsqlParameterCollection parameters, RemoteCall call, object?[] arguments)
    {
        foreach (int index in call.ParameterOrder)
        {
            object? value = arguments[index];
            var parameter = new NpgsqlParameter { Value = value ?? DBNull.Value };
            if (call.ParameterWireTypes[index] is { } wireType)
            {
                WireParameterTypes.Declare(parameter, wireType);
            }
            else if (value is object?[])
            {
                WireParameterTypes.Declare(parameter, call.ParameterTypes[index]); // a list cut to an object array: the declared type says what its elements are
            }

            parameters.Add(parameter);
        }
    }
}
