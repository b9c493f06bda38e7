using System.Collections;
using System.Data;
using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Resilience;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Execution;

/// <summary>
/// Calls that waited for a partition's connections, sent in one round trip on the slot that came free: an
/// <c>NpgsqlBatch</c>, each call its own statement with the SQL and parameters it has alone, every call's rows read
/// before any caller is answered.
/// <para>
/// The batch runs as one implicit transaction (one Sync), not with error barriers: Npgsql discards the results of every
/// statement after a failed one even when barriers let them commit, so their callers could not be answered. So
/// when a statement fails, nothing of the batch committed: that call fails with its error, and the others are sent
/// again without it, on the same connection, until a batch commits; after a second failure the rest go one round trip
/// each (a fence refusing many calls at once costs each call at most two runs, not one per failed neighbour). When the
/// commit itself fails (a deferred constraint, a serialization failure found at commit), the error names no statement:
/// every call goes again alone, and gets the outcome it has alone. A call failing with a transaction-rollback error
/// (SQLSTATE class 40: a deadlock or serialization failure that the shared transaction may have caused) runs once
/// more alone, and what it gets then is its outcome. A connection that breaks mid-batch fails every call in it: each
/// may have reached the server, and is retried only when it was never sent or its method is idempotent. A connection
/// lost while it opens (before anything was sent) is opened once more before the calls waiting for it fail. A round
/// trip all of whose callers have left is cancelled (<see cref="SharedRoundTrip"/>), and callers that left are not sent again.
/// </para>
/// </summary>
internal static class PartitionBatch
{
    /// <summary>
    /// Runs <paramref name="batch"/> on the slot its gate gave, then whatever queues next, off the caller's thread and
    /// outside its execution context (the round trip is no single call's: it must not join the releasing call's trace).
    /// </summary>
    public static void Start(PartitionGate gate, NpgsqlDataSource dataSource, List<GateWaiter> batch) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state => _ = RunAsync(state.Gate, state.DataSource, state.Batch), (Gate: gate, DataSource: dataSource, Batch: batch), preferLocal: false);

    private static async Task RunAsync(PartitionGate gate, NpgsqlDataSource dataSource, List<GateWaiter>? batch)
    {
        while (batch is not null)
        {
            var calls = new List<QueuedCall>(batch.Count);
            foreach (GateWaiter waiter in batch)
            {
                var call = (QueuedCall)waiter;
                if (!call.IsDone) // a caller that left before the batch was sent is left out
                {
                    calls.Add(call);
                }
            }

            try
            {
                await RunOnConnectionAsync(dataSource, calls, gate).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                foreach (QueuedCall call in calls)
                {
                    call.Fail(e); // never expected: no caller waits forever
                }
            }

            batch = gate.Release(shared: true);
        }
    }

    // The connection the queued calls go on. One the server took and then lost while it started is opened once more
    // before the calls fail: each of them would be counted by the circuit breaker, and one lost connection under many
    // waiting calls would open the circuit of a healthy partition. A server that refuses connections, or cannot be
    // reached, fails the first open as it is (an outage counts call by call).
    private static async ValueTask<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource)
    {
        try
        {
            return await IdleConnectionCheck.OpenAsync(dataSource, CancellationToken.None).ConfigureAwait(false);
        }
        catch (NpgsqlException e) when (FailureClassifier.LostWhileOpening(e))
        {
            return await IdleConnectionCheck.OpenAsync(dataSource, CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static async Task RunOnConnectionAsync(NpgsqlDataSource dataSource, List<QueuedCall> calls, PartitionGate gate)
    {
        if (calls.Count == 0)
        {
            return;
        }

        NpgsqlConnection connection;
        try
        {
            connection = await OpenAsync(dataSource).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            foreach (QueuedCall call in calls)
            {
                call.Fail(PartitionCommand.OpenFailed(e)); // never sent: each may be retried (unless the data source was disposed)
            }

            return;
        }

        bool unprepared = false;
        await using (connection.ConfigureAwait(false))
        {
            List<QueuedCall>? alone = null;
            int failures = 0;
            while (true)
            {
                calls.RemoveAll(static call => call.IsDone); // callers that left meanwhile are not sent again
                if (calls.Count == 0)
                {
                    break;
                }

                if (failures == 2)
                {
                    // A second failure in one batch (a fence over a moving partition refuses many calls at once): the
                    // rest go one round trip each, so no statement runs more than twice.
                    alone = [.. calls, .. alone ?? []];
                    break;
                }

                (int failed, PostgresException? error) = await RoundTripAsync(calls).ConfigureAwait(false);
                if (failed < 0)
                {
                    break;
                }

                if (failed == calls.Count && calls.Count > 1)
                {
                    // The commit failed (a deferred constraint, a serialization failure found at commit): nothing
                    // committed, and the error names no statement. Each call goes alone and gets the outcome it has alone.
                    alone = [.. calls, .. alone ?? []];
                    break;
                }

                // Nothing of the batch committed: the failed call has its outcome, the others go again without it.
                failed = Math.Min(failed, calls.Count - 1); // the commit of a round trip of one call: that call failed
                failures++;
                if (calls.Count > 1 && error!.SqlState.StartsWith("40", StringComparison.Ordinal))
                {
                    (alone ??= []).Add(calls[failed]);
                }
                else
                {
                    calls[failed].Fail(error!);
                }

                calls.RemoveAt(failed);
            }

            foreach (QueuedCall call in alone ?? [])
            {
                if (call.IsDone)
                {
                    continue;
                }

                (int failed, PostgresException? error) = await RoundTripAsync([call]).ConfigureAwait(false);
                if (failed >= 0)
                {
                    call.Fail(error!);
                }
            }
        }

        // A round trip refused because a partition's DDL made a prepared statement stale (PostgreSQL refused it before
        // running anything) goes once more, unprepared, as a call alone does (PartitionCommand).
        async Task<(int Failed, PostgresException? Error)> RoundTripAsync(List<QueuedCall> sent)
        {
            (int failed, PostgresException? error) = await SendAsync(connection, sent, gate).ConfigureAwait(false);
            if (failed < 0 || unprepared || !PartitionCommand.IsStalePreparedStatement(error!))
            {
                return (failed, error);
            }

            connection.UnprepareAll();
            unprepared = true;
            return await SendAsync(connection, sent, gate).ConfigureAwait(false);
        }
    }

    // One round trip. Every call gets its outcome, except when a statement or the commit fails while the connection
    // stays usable: then nothing committed, and the failed statement's index (the number of calls for the commit) and
    // the error are returned (the calls still wait).
    private static async Task<(int Failed, PostgresException? Error)> SendAsync(NpgsqlConnection connection, List<QueuedCall> calls, PartitionGate gate)
    {
        if (PlProxyTelemetry.BatchSize.Enabled)
        {
            PlProxyTelemetry.BatchSize.Record(calls.Count, gate.Tags);
        }

        var results = new object?[calls.Count]; // each call's rows, or the error reading them
        await using var batch = new NpgsqlBatch(connection);
        foreach (QueuedCall call in calls)
        {
            batch.BatchCommands.Add(PartitionCommand.CreateBatchCommand(call.Attempt.Route.Call, call.Attempt.Arguments));
        }

        if (SharedRoundTrip.Start(calls, batch) is not { } roundTrip)
        {
            return (-1, null); // every caller left before it was sent
        }

        // The statement being read: a server error surfaces when its result is reached (or while its rows are read), so
        // this is the statement that failed. (Npgsql names it on the exception only when the connection string asks.)
        int current = 0;
        try
        {
            NpgsqlDataReader reader = await batch.ExecuteReaderAsync().ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                for (; current < calls.Count; current++)
                {
                    if (current > 0 && !await reader.NextResultAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    try
                    {
                        results[current] = await calls[current].Rows.ReadAllAsync(reader).ConfigureAwait(false);
                    }
                    catch (Exception e) when (e is not NpgsqlException)
                    {
                        results[current] = e; // the call's own rows could not be read (as alone: its statement still commits)
                    }
                }
            }
        }
        catch (PostgresException e) when (connection.State == ConnectionState.Open)
        {
            return (current, e); // after the last statement's rows (current is the number of calls): the commit failed
        }
        catch (Exception e)
        {
            foreach (QueuedCall call in calls)
            {
                call.Fail(e); // the connection broke: every call may have reached the server
            }

            return (-1, null);
        }
        finally
        {
            roundTrip.End();
        }

        for (int i = 0; i < calls.Count; i++)
        {
            if (results[i] is IList rows)
            {
                calls[i].Complete(rows);
            }
            else
            {
                calls[i].Fail((Exception?)results[i] ?? new InvalidOperationException("The batch ended before this call's statement."));
            }
        }

        return (-1, null);
    }
}
