using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;
using PlProxy.Client.Telemetry;
using Polly;

namespace PlProxy.Client.Execution;

/// <summary>
/// How one data source reaches its partitions: one database's part of a planned call through its pool and pipeline,
/// the data source's connection budget, then its executor seam or the partition's Polly pipeline around opening a
/// connection and executing; rows read into a list or streamed. A <see cref="Route"/> says where a call goes; this
/// holds the per-data-source services it goes through.
/// </summary>
internal sealed class Partitions(ConnectionBudget? budget, IPartitionExecutor? executor, TimeSpan queueTimeout)
{
    /// <summary>One database's rows of a call, all read before any is handed on: a read a standby stopped midway starts over (<see cref="StoppedStandbyReads"/>).</summary>
    public async ValueTask<List<T>> ReadAsync<T>(Route route, int target, RowReader<T> read, CancellationToken cancellationToken)
    {
        for (int reads = 1; ; reads++)
        {
            var rows = new List<T>();
            PartitionCursor cursor = await OpenAsync(route, target, read, cancellationToken).ConfigureAwait(false);
            try
            {
                await using (cursor.ConfigureAwait(false))
                {
                    while (await cursor.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        rows.Add(cursor.Current(read));
                    }
                }

                return rows;
            }
            catch (PlProxyException e) when (StoppedStandbyReads.MayReadAgain(e, reads, cancellationToken))
            {
            }
        }
    }

    public async IAsyncEnumerable<T> StreamAsync<T>(Route route, int target, RowReader<T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        PartitionCursor cursor = await OpenAsync(route, target, sharedRows: null, cancellationToken).ConfigureAwait(false);
        await using (cursor.ConfigureAwait(false))
        {
            while (await cursor.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return cursor.Current(read);
            }
        }
    }

    /// <summary>
    /// Opens one database's part of a call: the connection budget, then the executor seam or, for Npgsql, the
    /// partition's pipeline (retries of calls that never reached the server or of idempotent methods, and its circuit
    /// breaker) around opening and executing. Rows, once they flow, are never retried. Under a connection cap, a call
    /// that finds its partition's connections busy queues: <paramref name="sharedRows"/> (how its rows are read) lets it
    /// share a round trip with the calls queued beside it; without it (a stream), it waits for a connection of its own.
    /// </summary>
    public ValueTask<PartitionCursor> OpenAsync(Route route, int target, RowReader? sharedRows, CancellationToken cancellationToken) =>
        OpenAsync(route, target, sharedRows, reserved: null, slotTaken: null, cancellationToken);

    /// <summary>
    /// One database's part of a call that holds all its databases at once: it takes the budget <paramref name="reserved"/>
    /// for it (<see cref="ReserveAsync"/>), and completes <paramref name="slotTaken"/> once it holds its connection's slot.
    /// </summary>
    public ValueTask<PartitionCursor> OpenAsync(Route route, int target, ConnectionBudget.Reservation? reserved, TaskCompletionSource slotTaken, CancellationToken cancellationToken) =>
        OpenAsync(route, target, sharedRows: null, reserved, slotTaken, cancellationToken);

    /// <summary>
    /// The order in which a call that holds all of <paramref name="route"/>'s databases at once takes their connection
    /// slots, the same for every such call (by connection string): one waiting for a slot another holds never holds one
    /// that other waits for. Targets of one pool (a database the cluster lists more than once, in strings written
    /// differently) are one group, whose slots are taken in one turn (<see cref="GatherAsync"/>).
    /// </summary>
    /// <exception cref="PlProxyException">53300: a group needs more connections at once than its database's cap allows: the call could never run.</exception>
    public List<int[]> SlotOrder(Route route)
    {
        NpgsqlDataSource[] pools = PoolsOf(route);
        string[] keys = [.. pools.Select(pool => pool.ConnectionString)];
        int[] order = [.. Enumerable.Range(0, keys.Length)];
        Array.Sort(keys, order, StringComparer.Ordinal);
        var groups = new List<int[]>(order.Length);
        for (int first = 0, end; first < order.Length; first = end)
        {
            for (end = first + 1; end < order.Length && pools[order[end]] == pools[order[first]]; end++)
            {
            }

            if (end - first > 1 && GateOf(route, order[first]) is { } gate && end - first > gate.Slots)
            {
                throw route.Errors.Error(
                    $"The call holds a connection to each of its databases at once, and its cluster lists partition database {gate.Database} {end - first} times (in connection strings written differently: one database, one cap): more connections at once than MaxConnectionsPerPartition ({gate.Slots}) lets it hold. Raise MaxConnectionsPerPartition to at least {end - first}, or write the strings alike (byte-identical strings are one database, called once).",
                    PostgresErrorCodes.TooManyConnections);
            }

            groups.Add(order[first..end]);
        }

        return groups;
    }

    /// <summary>
    /// Before a call that holds all its databases at once takes the slots of <paramref name="group"/>, targets of one
    /// gate: its turn to take them, so that no two such calls each take some and wait for the rest. Null for a group of
    /// one, or without a cap; dispose it once the group's slots are taken.
    /// </summary>
    /// <exception cref="PlProxyException">53300: the turn did not come within the queue's timeout.</exception>
    public async ValueTask<IDisposable?> GatherAsync(Route route, int[] group, CancellationToken cancellationToken)
    {
        if (group.Length == 1 || GateOf(route, group[0]) is not { } gate)
        {
            return null;
        }

        if (!await gate.Gathering.WaitAsync(queueTimeout, cancellationToken).ConfigureAwait(false))
        {
            PlProxyException busy = QueuedCall.Busy(gate, queueTimeout);
            throw route.Errors.Error(busy.Message, busy.SqlState);
        }

        return new Turn(gate.Gathering);
    }

    // The gate a target's slot is taken at; none under a test executor, which has no connections.
    private PartitionGate? GateOf(Route route, int target) => executor is null ? route.Cluster.Gate(Resolve(route, target).Connection) : null;

    private ValueTask<PartitionCursor> OpenAsync(Route route, int target, RowReader? sharedRows, ConnectionBudget.Reservation? reserved, TaskCompletionSource? slotTaken, CancellationToken cancellationToken)
    {
        (NpgsqlDataSource dataSource, ResiliencePipeline? pipeline, int connection, int partition, int[]? rows) = Resolve(route, target);
        object?[] arguments = ArgumentsFor(route, rows);
        PartitionGate? gate = route.Cluster.Gate(connection);
        IDisposable? lease = reserved?.Take(dataSource); // the budget's call kept for this part (its host's, as any part's)

        // The common case returns the database's own task: no async frame of its own around every call.
        return route.Cluster.ReplicasOf(connection) is not { } replicas || executor is not null
            ? OpenOnAsync(route, dataSource, pipeline, gate, partition, arguments, sharedRows, replicas: null, lease, slotTaken, cancellationToken)
            : !route.Call.ReadFromStandby
                ? OpenOnAsync(route, dataSource, pipeline, gate, partition, arguments, sharedRows, replicas, lease, slotTaken, cancellationToken)
                : OpenReadAsync(route, dataSource, pipeline, gate, partition, arguments, sharedRows, replicas, lease, slotTaken, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PartitionCursor> OpenReadAsync(
        Route route, NpgsqlDataSource dataSource, ResiliencePipeline? pipeline, PartitionGate? gate, int partition, object?[] arguments, RowReader? sharedRows, PartitionReplicas replicas, IDisposable? lease, TaskCompletionSource? slotTaken, CancellationToken cancellationToken)
    {
        // A read a fresh standby may serve. One that cannot be reached, or that cancels the read (a conflict with
        // recovery), is marked down and the read goes to the primary.
        StandbyReads standbys = route.Cluster.Standbys;
        if (replicas.ChooseStandby(standbys.MaxLag, standbys.ReadYourWrites) is { } standby)
        {
            standby.ReadSent();
            try
            {
                PartitionCursor read = await OpenOnAsync(route, standby.Pool, pipeline: null, standby.Gate, partition, arguments, sharedRows, replicas: null, lease, slotTaken, cancellationToken).ConfigureAwait(false);
                read.Standby = (standby, replicas);
                CountRead(standby.Pool, "standby");
                return read;
            }
            catch (PlProxyException e) when ((e.SqlState == RemoteErrors.ConnectFailedState || FailureClassifier.StandbyCannotServe(e.InnerException)) && !cancellationToken.IsCancellationRequested)
            {
                standby.MarkDown();
                replicas.Monitor.Suspect();
                lease = null; // given back with the standby's cursor: the primary's part enters the budget anew
            }
        }

        PartitionCursor primary = await OpenOnAsync(route, dataSource, pipeline, gate, partition, arguments, sharedRows, replicas: null, lease, slotTaken, cancellationToken).ConfigureAwait(false);
        CountRead(dataSource, "primary");
        return primary;
    }

    private static void CountRead(NpgsqlDataSource dataSource, string target)
    {
        if (PlProxyTelemetry.StandbyReads.Enabled)
        {
            (string? address, int port) = DatabaseName.ServerOf(dataSource);
            PlProxyTelemetry.StandbyReads.Add(1, new TagList
            {
                { TelemetryNames.ReadTarget, target },
                { TelemetryNames.DbNamespace, DatabaseName.Of(dataSource) },
                { TelemetryNames.ServerAddress, address },
                { TelemetryNames.ServerPort, port },
            });
        }
    }

    // One database's part of the call on the given pool: the connection budget, then the executor seam or the
    // pipeline around the attempts. A call on a replicated partition's primary (replicas) notes its end there.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PartitionCursor> OpenOnAsync(
        Route route, NpgsqlDataSource dataSource, ResiliencePipeline? pipeline, PartitionGate? gate, int partition, object?[] arguments, RowReader? sharedRows, PartitionReplicas? replicas, IDisposable? lease, TaskCompletionSource? slotTaken, CancellationToken cancellationToken)
    {
        var cursor = new PartitionCursor(route, dataSource, partition) { WroteTo = replicas, Budget = lease, SlotTaken = slotTaken };
        try
        {
            if (budget is not null && lease is null)
            {
                try
                {
                    cursor.Budget = await budget.EnterAsync(dataSource, cancellationToken).ConfigureAwait(false);
                }
                catch (PlProxyException e)
                {
                    throw RemoteErrors.Budget(route, cursor.Database, partition, e);
                }
            }

            if (executor is not null)
            {
                slotTaken?.TrySetResult(); // a test executor has no connections to wait for
                try
                {
                    cursor.Reader = await executor.ExecuteAsync(
                        new PartitionRequest(route.Cluster.Name, partition, route.Call.Function.Target ?? route.Call.Name, route.Call.Sql, route.Call.ParameterNames, arguments),
                        cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (RemoteErrors.Wrap(e, route, dataSource, partition) is { } wrapped)
                {
                    throw wrapped;
                }

                return cursor;
            }

            // Without retries and breaker (both switched off) there is no pipeline: the attempt runs as it is.
            ResilienceContext? context = pipeline is null ? null : ResilienceContextPool.Shared.Get(cancellationToken);
            try
            {
                bool shares = sharedRows is not null && route.Cluster.CoalescesCalls && route.Call.Coalesced
                    && route.Call.StatementMilliseconds < route.Cluster.LongCallMilliseconds; // a long call would hold up its round trip
                var attempt = new Attempt(dataSource, route, arguments, cursor, gate, shares ? sharedRows : null, queueTimeout)
                {
                    Measured = gate is not null && sharedRows is not null,
                    // Measured and quick: waits for the round trip in flight rather than start another. A method not
                    // measured yet is not known to be quick: it may run beside the round trip in flight, and be measured.
                    Quick = shares && route.Call.StatementMilliseconds is > 0 and < PartitionGate.QuickCallMilliseconds,
                    Replicas = replicas,
                };
                // The outcome form: no exception thrown through Polly's layers. Its result type is object, the type of
                // the pipeline's strategies, so Polly calls the callback as it is: no bridge converting outcomes per attempt.
                Outcome<object> outcome;
                if (context is null)
                {
                    outcome = await PartitionCommand.AttemptAsync(attempt, cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    context.Properties.Set(PartitionPipeline.Call, route.Call);
                    outcome = await pipeline!.ExecuteOutcomeAsync<object, Attempt>(static (context, attempt) => PartitionCommand.AttemptAsync(attempt, context.CancellationToken), context, attempt).ConfigureAwait(false);
                }

                outcome.ThrowIfException();
                if (outcome.Result is DbDataReader reader)
                {
                    cursor.Reader = reader;
                }
                else
                {
                    cursor.Rows = (System.Collections.IList)outcome.Result!; // read in a shared round trip
                }
            }
            catch (Exception e) when (RemoteErrors.Wrap(e, route, dataSource, partition) is { } wrapped)
            {
                throw wrapped;
            }
            finally
            {
                if (context is not null)
                {
                    ResilienceContextPool.Shared.Return(context);
                }
            }

            return cursor;
        }
        catch
        {
            await cursor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Before a call opens every database of <paramref name="route"/> and holds them all at once (an ordered merge): the
    /// calls of the connection budget it needs, reserved (<see cref="ConnectionBudget.ReserveAsync"/>), for its parts
    /// to take (<see cref="OpenAsync(Route, int, ConnectionBudget.Reservation?, TaskCompletionSource, CancellationToken)"/>). Null without a
    /// budget; dispose it once every database was opened.
    /// </summary>
    public async ValueTask<ConnectionBudget.Reservation?> ReserveAsync(Route route, CancellationToken cancellationToken)
    {
        if (budget is null)
        {
            return null;
        }

        try
        {
            return await budget.ReserveAsync(PoolsOf(route), cancellationToken).ConfigureAwait(false);
        }
        catch (PlProxyException e)
        {
            throw route.Errors.Error(e.Message, e.SqlState);
        }
    }

    /// <summary>
    /// The pool whose database's catalog says how target <paramref name="target"/>'s rows order (its primary's: a
    /// standby, a copy of it, orders alike); null under a test executor, which has no database.
    /// </summary>
    public NpgsqlDataSource? CatalogOf(Route route, int target) => executor is null ? Resolve(route, target).DataSource : null;

    // The pool of each of the route's targets, in plan order.
    private static NpgsqlDataSource[] PoolsOf(Route route)
    {
        var pools = new NpgsqlDataSource[route.Plan.Count];
        for (int target = 0; target < pools.Length; target++)
        {
            pools[target] = Resolve(route, target).DataSource;
        }

        return pools;
    }

    private static (NpgsqlDataSource DataSource, ResiliencePipeline? Pipeline, int Connection, int Partition, int[]? Rows) Resolve(Route route, int target)
    {
        if (route.Plan.IsSingle)
        {
            int connection = route.Plan.SingleConnection;
            return (route.Cluster.DataSource(connection), route.Cluster.Pipeline(connection), connection, route.Plan.SinglePartition, null);
        }

        PlanTarget planTarget = route.Plan[target];
        return (route.Cluster.DataSource(planTarget.Connection), route.Cluster.Pipeline(planTarget.Connection), planTarget.Connection, planTarget.Partition, planTarget.Rows);
    }

    // The call's arguments as this database receives them: SPLIT arguments cut to its elements; the call's own array
    // when nothing is split.
    private static object?[] ArgumentsFor(Route route, int[]? rows) =>
        rows is null ? route.Arguments : SplitValues.Arguments(route.Call.Function, route.Arguments, rows);

    private sealed class Turn(SemaphoreSlim gathering) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gathering.Release();
            }
        }
    }
}
