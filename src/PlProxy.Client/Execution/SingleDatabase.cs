using System.Runtime.CompilerServices;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Execution;

/// <summary>
/// A call on one database, beside <see cref="FanOut"/> for several: how every shape of call starts there (RUN ON ANY
/// failing over, partconf fences re-planned) before its rows are read in place.
/// </summary>
internal static class SingleDatabase
{
    /// <summary>
    /// How a call on one database started: its cursor on the first row (null when the re-planned call spans several
    /// databases), the fence wait if a fence refused it, and the route it was re-planned on, if it was (the caller
    /// takes over its lease).
    /// </summary>
    public readonly record struct FirstRow(PartitionCursor? Cursor, bool HasRow, FenceWait? Fences, Route? Replanned);

    /// <summary>
    /// The start every shape of call on one database shares (single, list, partial result, stream): the database
    /// opened and its first row read, RUN ON ANY failing over to the next partition when one cannot be reached (or its
    /// circuit is open), and a call a partconf fence refused (PX001: nothing was written there) re-planned on a
    /// refreshed map and sent again. No row reaches the caller before this returns, so a call that starts over hands
    /// out nothing twice. A call re-planned here comes back with its new route (<c>Replanned</c>), whose lease the caller
    /// takes over (<see cref="CallScope.Replanned"/>): the scope is the caller's, and this method has a copy of it. The
    /// cursor is null when the re-planned call spans several databases (a SPLIT spread over a new map): the caller goes
    /// on as a fan-out of that route. With <paramref name="sharedRows"/> (every shape but a stream), a call that queues
    /// for its partition's connections may share a round trip.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<FirstRow> OpenFirstRowAsync(CallScope scope, Partitions partitions, RowReader? sharedRows, RemoteCall call, object?[] arguments, CallPlanner planner, Func<RemoteCall, FenceWait> fenceWait)
    {
        FenceWait? fences = null;
        Route? replanned = null; // planned here after a fence: its lease is this method's until it hands the route back
        try
        {
            while (true)
            {
                PlProxyException fence;
                Route route = replanned ?? scope.Route!;
                for (int attempt = 1; ; attempt++)
                {
                    PartitionCursor cursor;
                    try
                    {
                        cursor = await partitions.OpenAsync(route, 0, sharedRows, scope.Token).ConfigureAwait(false);
                    }
                    catch (PlProxyException e) when (FailsOver(route, e, attempt))
                    {
                        int next = (route.Plan.SinglePartition + 1) % route.Cluster.Layout.PartitionCount;
                        route = route with { Plan = ExecutionPlan.Single(route.Cluster.Layout.ConnectionOf(next), next) };
                        continue;
                    }
                    catch (PlProxyException e) when (e.SqlState == PlProxySqlStates.WrongPartition)
                    {
                        fence = e;
                        break;
                    }

                    try
                    {
                        return new FirstRow(cursor, await cursor.ReadAsync(scope.Token).ConfigureAwait(false), fences, replanned);
                    }
                    catch (PlProxyException e) when (e.SqlState == PlProxySqlStates.WrongPartition)
                    {
                        await cursor.DisposeAsync().ConfigureAwait(false);
                        fence = e;
                        break;
                    }
                    catch
                    {
                        await cursor.DisposeAsync().ConfigureAwait(false);
                        throw;
                    }
                }

                fences ??= fenceWait(call);
                await fences.NextAsync(replanned ?? scope.Route!, fence, scope.Token).ConfigureAwait(false);
                Route onNewMap = await planner.PlanAsync(call, arguments, scope.Token).ConfigureAwait(false);
                replanned?.Cluster.Release();
                replanned = onNewMap;
                if (!onNewMap.IsSingleDatabase)
                {
                    return new FirstRow(null, false, fences, replanned);
                }
            }
        }
        catch
        {
            replanned?.Cluster.Release();
            throw;
        }
    }

    /// <summary>
    /// The rows of a call opened by <see cref="OpenFirstRowAsync"/>, from its first row on, into <paramref name="rows"/>;
    /// the cursor is disposed. Streams read in place too, but hand each row out as it comes.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public static async ValueTask<TRows> ReadRestAsync<T, TResult, TRows>(PartitionCursor cursor, bool hasRow, RowReader<T> read, TRows rows, CancellationToken cancellationToken)
        where TRows : struct, IRowSink<T, TResult>
    {
        await using (cursor.ConfigureAwait(false))
        {
            for (bool more = hasRow; more; more = await cursor.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(cursor.Current(read));
            }
        }

        return rows;
    }

    // RUN ON ANY moves on when a partition cannot be reached (or its circuit is open), until every one was tried.
    private static bool FailsOver(Route route, PlProxyException error, int attempt) =>
        error.SqlState == RemoteErrors.ConnectFailedState
        && route.Call.Function.Run == RunKind.Any
        && route.Call.Function.SplitParameters.Count == 0
        && attempt < route.Cluster.Layout.PartitionCount;
}
