using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PlProxy.Client.Clusters;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Execution;

/// <summary>
/// Runs a planned call on its partitions through Npgsql: one command per database, all databases concurrently,
/// rows read as they come. Applies PL/Proxy's rules: a non-set-returning call needs exactly one row in all, remote
/// errors keep their SQLSTATE, and the first failure cancels the other databases' commands.
/// </summary>
internal sealed class CallExecutor(ClusterRegistry clusters, IRandomSource random, ILogger logger, ConnectionBudget? budget, IPartitionExecutor? partitionExecutor, TimeSpan fenceTimeout, TimeSpan queueTimeout)
{
    private readonly CallPlanner _planner = new(clusters, random);
    private readonly Partitions _partitions = new(budget, partitionExecutor, queueTimeout);

    private Func<RemoteCall, FenceWait>? _fenceWaits;

    // The fence wait of one call, made when the call is first fenced; one delegate for every call.
    private Func<RemoteCall, FenceWait> FenceWaits => _fenceWaits ??= call => new FenceWait(clusters, logger, fenceTimeout, call);

    /// <summary>
    /// The slot of connection <paramref name="connection"/>'s gate and its host's budget, held for a
    /// <see cref="PlProxyPartition"/> until disposed (<see cref="PartitionHold"/>).
    /// </summary>
    public ValueTask<PartitionHold> HoldAsync(ClusterSnapshot snapshot, int connection, CancellationToken cancellationToken) =>
        PartitionHold.TakeAsync(snapshot.DataSource(connection), snapshot.Gate(connection), budget, queueTimeout, cancellationToken);

    public Task<T> SingleAsync<T>(RemoteCall call, object?[] arguments, RowReader<T> read, CancellationToken cancellationToken) =>
        RunAsync<T, T, SingleRow<T>>(call, arguments, read, cancellationToken);

    public Task<IReadOnlyList<T>> ListAsync<T>(RemoteCall call, object?[] arguments, RowReader<T> read, CancellationToken cancellationToken) =>
        RunAsync<T, IReadOnlyList<T>, RowList<T>>(call, arguments, read, cancellationToken);

    // Plans, runs and reads a call in its scope (telemetry, query_timeout, the cluster version's lease until the rows
    // are read). One database starts as every shape starts (OpenFirstRowAsync: RUN ON ANY fail-over, partconf fences
    // re-planned) and is read right here; several go through FanOut, concurrently.
    private async Task<TResult> RunAsync<T, TResult, TRows>(RemoteCall call, object?[] arguments, RowReader<T> read, CancellationToken cancellationToken)
        where TRows : struct, IRowSink<T, TResult>
    {
        var scope = CallScope.Start(logger, call, cancellationToken);
        try
        {
            scope.Planned(await _planner.PlanAsync(call, arguments, cancellationToken).ConfigureAwait(false));
            TRows rows = default;
            FenceWait? fences = null; // a partconf fence refused the call (or some of a SPLIT's elements): nothing was written there
            bool done = false;
            // Rows are all read before the caller sees any: a read a standby stopped midway starts over (StoppedStandbyReads).
            for (int reads = 1; !done && scope.Route!.IsSingleDatabase; reads++)
            {
                SingleDatabase.FirstRow first = await SingleDatabase.OpenFirstRowAsync(scope, _partitions, read, call, arguments, _planner, FenceWaits).ConfigureAwait(false);
                Replanned(ref scope, first);
                fences ??= first.Fences;
                if (first.Cursor is null)
                {
                    break;
                }

                try
                {
                    rows = await SingleDatabase.ReadRestAsync<T, TResult, TRows>(first.Cursor, first.HasRow, read, default, scope.Token).ConfigureAwait(false);
                    done = true;
                }
                catch (PlProxyException e) when (StoppedStandbyReads.MayReadAgain(e, reads, scope.Token))
                {
                }
            }

            for (int reads = 1; !done && call.MergeOrder is not null; reads++)
            {
                try
                {
                    rows = default;
                    await foreach (T row in OrderedMerge.MergeAsync(_partitions, scope.Route!, read, scope.Token).ConfigureAwait(false))
                    {
                        rows.Add(row);
                    }

                    done = true;
                }
                catch (PlProxyException e) when (StoppedStandbyReads.MayReadAgain(e, reads, scope.Token))
                {
                }
            }

            while (!done)
            {
                FanOutRows<T> part = await FanOut.ReadAllAsync(_partitions, scope.Route!, read, scope.Token).ConfigureAwait(false);
                rows.AddRange(part.Rows);
                if (part.FencedElements is not { } fenced)
                {
                    break;
                }

                fences ??= FenceWaits(call);
                await fences.NextAsync(scope.Route!, part.Fence!, scope.Token).ConfigureAwait(false);
                arguments = SplitValues.Arguments(call.Function, scope.Route!.Arguments, fenced); // only what was refused
                scope.Replanned(await _planner.PlanAsync(call, arguments, scope.Token).ConfigureAwait(false));
            }

            if (rows.ExactlyOneRow && rows.Count != 1)
            {
                throw RemoteErrors.RowCount(scope.Route!, rows.Count);
            }

            scope.Succeeded();
            return rows.Result;
        }
        catch (Exception e)
        {
            throw scope.Failed(e);
        }
        finally
        {
            scope.Dispose();
        }
    }

    // The route a call on one database was re-planned on after a fence: the scope takes over its lease.
    private static void Replanned(ref CallScope scope, SingleDatabase.FirstRow first)
    {
        if (first.Replanned is { } route)
        {
            scope.Replanned(route);
        }
    }

    /// <summary>
    /// A call that tolerates failing partitions: every target runs to its end; failures are reported, not thrown. One
    /// database starts as every shape starts (RUN ON ANY fail-over, partconf fences re-planned); what still fails is
    /// the one failure reported.
    /// </summary>
    public async Task<PlProxyPartialResult<T>> PartialAsync<T>(RemoteCall call, object?[] arguments, RowReader<T> read, CancellationToken cancellationToken)
    {
        var scope = CallScope.Start(logger, call, cancellationToken);
        try
        {
            scope.Planned(await _planner.PlanAsync(call, arguments, cancellationToken).ConfigureAwait(false));
            for (int reads = 1; scope.Route!.IsSingleDatabase; reads++)
            {
                try
                {
                    SingleDatabase.FirstRow first = await SingleDatabase.OpenFirstRowAsync(scope, _partitions, read, call, arguments, _planner, FenceWaits).ConfigureAwait(false);
                    Replanned(ref scope, first);
                    if (first.Cursor is null)
                    {
                        break;
                    }

                    RowList<T> one = await SingleDatabase.ReadRestAsync<T, IReadOnlyList<T>, RowList<T>>(first.Cursor, first.HasRow, read, default, scope.Token).ConfigureAwait(false);
                    scope.Succeeded();
                    return new PlProxyPartialResult<T>(one.Result, [], 1);
                }
                catch (PlProxyException e) when (StoppedStandbyReads.MayReadAgain(e, reads, scope.Token))
                {
                }
                catch (PlProxyException e)
                {
                    scope.Succeeded();
                    return new PlProxyPartialResult<T>([], [e], 1);
                }
                catch (OperationCanceledException e) when (scope.TimedOut && !cancellationToken.IsCancellationRequested)
                {
                    scope.Succeeded();
                    return new PlProxyPartialResult<T>([], [RemoteErrors.QueryTimeout(scope.Route!, e)], 1);
                }
            }

            Route route = scope.Route!;
            (List<T> rows, List<PlProxyException> errors) = await FanOut.ReadEachAsync(_partitions, route, read, () => scope.TimedOut, cancellationToken, scope.Token).ConfigureAwait(false);
            int count = route.Plan.Count;
            scope.Succeeded();
            return new PlProxyPartialResult<T>(rows, errors, count);
        }
        catch (Exception e)
        {
            throw scope.Failed(e);
        }
        finally
        {
            scope.Dispose();
        }
    }

    // Rows as they come. One database starts as every shape starts (RUN ON ANY fail-over, partconf fences re-planned,
    // before the first row is handed out); several stream through FanOut. Once rows flow, a failure ends the stream.
    public async IAsyncEnumerable<T> StreamAsync<T>(RemoteCall call, object?[] arguments, RowReader<T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var scope = CallScope.Start(logger, call, cancellationToken);
        try
        {
            PartitionCursor? cursor = null;
            bool hasRow = false;
            try
            {
                scope.Planned(await _planner.PlanAsync(call, arguments, cancellationToken).ConfigureAwait(false));
                if (scope.Route!.IsSingleDatabase)
                {
                    SingleDatabase.FirstRow first = await SingleDatabase.OpenFirstRowAsync(scope, _partitions, sharedRows: null, call, arguments, _planner, FenceWaits).ConfigureAwait(false);
                    Replanned(ref scope, first);
                    (cursor, hasRow) = (first.Cursor, first.HasRow);
                }
            }
            catch (Exception e)
            {
                throw scope.Failed(e);
            }

            if (cursor is not null)
            {
                await using (cursor.ConfigureAwait(false))
                {
                    while (hasRow)
                    {
                        T row;
                        try
                        {
                            row = cursor.Current(read);
                        }
                        catch (Exception e)
                        {
                            throw scope.Failed(e);
                        }

                        yield return row;
                        try
                        {
                            hasRow = await cursor.ReadAsync(scope.Token).ConfigureAwait(false);
                        }
                        catch (Exception e)
                        {
                            throw scope.Failed(e);
                        }
                    }
                }

                scope.Succeeded();
                yield break;
            }

            await using IAsyncEnumerator<T> enumerator = (call.MergeOrder is null
                ? FanOut.StreamAllAsync(_partitions, scope.Route!, read, scope.Token)
                : OrderedMerge.MergeAsync(_partitions, scope.Route!, read, scope.Token)).GetAsyncEnumerator(scope.Token);
            while (true)
            {
                try
                {
                    if (!await enumerator.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception e)
                {
                    throw scope.Failed(e);
                }

                yield return enumerator.Current;
            }

            scope.Succeeded();
        }
        finally
        {
            scope.Dispose();
        }
    }
}
