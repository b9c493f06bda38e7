using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PlProxy.Client.Clusters;
using PlProxy.Client.Language;
using PlProxy.Client.Partconf;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Execution;

/// <summary>
/// Runs a planned call on its partitions through Npgsql: one command per database, all databases concurrently,
/// rows read as they come. Applies PL/Proxy's rules: a non-set-returning call needs exactly one row in all, remote
/// errors keep their SQLSTATE, and the first failure cancels the other databases' commands.
/// </summary>
internal sealed class CallExecutor(ClusterRegistry clusters, IRandomSource random, ILogger logger, ConnectionBudget? budget, IPartitionExecutor? partitionExecutor, TimeSpan fenceTimeout)
{

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
            scope.Planned(await PlanAsync(call, arguments, cancellationToken).ConfigureAwait(false));
            TRows rows = default;
            FenceWait? fences = null; // a partconf fence refused the call (or some of a SPLIT's elements): nothing was written there
            bool done = false;
            if (scope.Route!.IsSingleDatabase)
            {
                (PartitionCursor? cursor, bool hasRow, fences) = await OpenFirstRowAsync(scope, call, arguments).ConfigureAwait(false);
                if (cursor is not null)
                {
                    await using (cursor.ConfigureAwait(false))
                    {
                        for (bool more = hasRow; more; more = await cursor.ReadAsync(scope.Token).ConfigureAwait(false))
                        {
                            rows.Add(cursor.Current(read));
                        }
                    }

                    done = true;
                }
            }

            while (!done)
            {
                FanOutRows<T> part = await FanOut.ReadAllAsync(scope.Route!, read, scope.Token).ConfigureAwait(false);
                rows.AddRange(part.Rows);
                if (part.FencedElements is not { } fenced)
                {
                    break;
                }

                fences ??= new FenceWait(clusters, logger, fenceTimeout, call);
                await fences.NextAsync(scope.Route!, part.Fence!, scope.Token).ConfigureAwait(false);
                arguments = SplitValues.Arguments(call.Function, scope.Route!.Arguments, fenced); // only what was refused
                scope.Replanned(await PlanAsync(call, arguments, scope.Token).ConfigureAwait(false));
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

    /// <summary>
    /// The start every shape of call on one database shares (single, list, partial result, stream): the database
    /// opened and its first row read, RUN ON ANY failing over to the next partition when one cannot be reached (or its
    /// circuit is open), and a call a partconf fence refused (PX001: nothing was written there) re-planned on a
    /// refreshed map and sent again. No row reaches the caller before this returns, so a call that starts over hands
    /// out nothing twice. The cursor is null when the re-planned call spans several databases (a SPLIT spread over a
    /// new map): the caller goes on as a fan-out of <see cref="CallScope.Route"/>.
    /// </summary>
    private async Task<(PartitionCursor? Cursor, bool HasRow, FenceWait? Fences)> OpenFirstRowAsync(CallScope scope, RemoteCall call, object?[] arguments)
    {
        FenceWait? fences = null;
        while (true)
        {
            PlProxyException fence;
            Route route = scope.Route!;
            for (int attempt = 1; ; attempt++)
            {
                PartitionCursor cursor;
                try
                {
                    cursor = await PartitionCall.OpenAsync(route, 0, scope.Token).ConfigureAwait(false);
                }
                catch (PlProxyException e) when (FailsOver(route, e, attempt))
                {
                    int next = (route.Plan.SinglePartition + 1) % route.Cluster.Layout.PartitionCount;
                    route = route with { Plan = ExecutionPlan.Single(route.Cluster.Layout.ConnectionOf(next), next) };
                    continue;
                }
                catch (PlProxyException e) when (e.SqlState == PartconfDatabase.WrongPartitionSqlState)
                {
                    fence = e;
                    break;
                }

                try
                {
                    return (cursor, await cursor.ReadAsync(scope.Token).ConfigureAwait(false), fences);
                }
                catch (PlProxyException e) when (e.SqlState == PartconfDatabase.WrongPartitionSqlState)
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

            fences ??= new FenceWait(clusters, logger, fenceTimeout, call);
            await fences.NextAsync(scope.Route!, fence, scope.Token).ConfigureAwait(false);
            scope.Replanned(await PlanAsync(call, arguments, scope.Token).ConfigureAwait(false));
            if (!scope.Route!.IsSingleDatabase)
            {
                return (null, false, fences);
            }
        }
    }

    /// <summary>
    /// The fences one call met: each counted and logged; the cluster's map read again from its source (an unreachable
    /// proxy database leaves it as it is); a growing pause (25 ms doubling to 400 ms) from the second on, cut short
    /// when a new version of any cluster is swapped in (a notification from the proxy database, an options reload) and
    /// skipped when the call's version is already replaced; and, past the fence wait, the stale-map error naming where
    /// the call was refused. Allocated only when a call is fenced.
    /// </summary>
    private sealed class FenceWait(ClusterRegistry clusters, ILogger logger, TimeSpan timeout, RemoteCall call)
    {
        private readonly long _first = Stopwatch.GetTimestamp();
        private int _count;

        public async Task NextAsync(Route route, PlProxyException fence, CancellationToken cancellationToken)
        {
            _count++;
            TimeSpan waited = Stopwatch.GetElapsedTime(_first);
            PlProxyTelemetry.FencedCalls.Add(1, new KeyValuePair<string, object?>(TelemetryNames.Cluster, route.Cluster.Name), new KeyValuePair<string, object?>(TelemetryNames.Partition, fence.PartitionIndex));
            Log.CallFenced(logger, call.Name, route.Cluster.Name, fence.PartitionIndex, fence.Database, _count);
            if (waited >= timeout || route.Cluster.IsConnectTarget)
            {
                throw route.Errors.At(fence.PartitionIndex, fence.Database ?? "?").Error(
                    $"stale partition map: the call was fenced {_count} time(s) over {waited.TotalSeconds:0.00} s and the map of cluster {route.Cluster.Name} did not change to where the key now belongs ({fence.Message})",
                    PartconfDatabase.WrongPartitionSqlState,
                    fence);
            }

            if (_count > 1 && !route.Cluster.IsRetired)
            {
                Task changed = clusters.Changed;
                TimeSpan pause = TimeSpan.FromMilliseconds(Math.Min(400, 25 << Math.Min(_count - 2, 4)));
                TimeSpan left = timeout - waited;
                using var paused = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                Task delay = Task.Delay(pause < left ? pause : left, paused.Token);
                if (await Task.WhenAny(delay, changed).ConfigureAwait(false) == changed)
                {
                    await paused.CancelAsync().ConfigureAwait(false);
                }

                cancellationToken.ThrowIfCancellationRequested();
            }

            try
            {
                await clusters.RefreshAsync(route.Cluster.Name!, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Log.RefreshFailed(logger, e);
            }
        }
    }

    // RUN ON ANY moves on when a partition cannot be reached (or its circuit is open), until every one was tried.
    private static bool FailsOver(Route route, PlProxyException error, int attempt) =>
        error.SqlState == RemoteErrors.ConnectFailedState
        && route.Call.Function.Run == RunKind.Any
        && route.Call.Function.SplitParameters.Count == 0
        && attempt < route.Cluster.Layout.PartitionCount;

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
            scope.Planned(await PlanAsync(call, arguments, cancellationToken).ConfigureAwait(false));
            if (scope.Route!.IsSingleDatabase)
            {
                var one = new List<T>();
                try
                {
                    (PartitionCursor? cursor, bool hasRow, _) = await OpenFirstRowAsync(scope, call, arguments).ConfigureAwait(false);
                    if (cursor is not null)
                    {
                        await using (cursor.ConfigureAwait(false))
                        {
                            for (bool more = hasRow; more; more = await cursor.ReadAsync(scope.Token).ConfigureAwait(false))
                            {
                                one.Add(cursor.Current(read));
                            }
                        }

                        scope.Succeeded();
                        return new PlProxyPartialResult<T>(one, [], 1);
                    }
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
            int count = route.Plan.Count;
            var tasks = new Task<List<T>>[count];
            for (int i = 0; i < count; i++)
            {
                tasks[i] = PartitionCall.ReadAsync(route, i, read, scope.Token).AsTask();
            }

            try
            {
                await Task.WhenAll(tasks).ConfigureAwait(false);
            }
            catch (Exception) when (!cancellationToken.IsCancellationRequested)
            {
                // Looked at per partition below.
            }

            var rows = new List<T>();
            var errors = new List<PlProxyException>();
            foreach (Task<List<T>> task in tasks)
            {
                if (task.IsCompletedSuccessfully)
                {
                    rows.AddRange(task.Result);
                }
                else if (task.Exception?.InnerException is PlProxyException error)
                {
                    errors.Add(error);
                }
                else if (task.IsCanceled && scope.TimedOut)
                {
                    errors.Add(RemoteErrors.QueryTimeout(route, new OperationCanceledException()));
                }
                else
                {
                    await task.ConfigureAwait(false); // anything else (the caller's cancellation) is thrown
                }
            }

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
                scope.Planned(await PlanAsync(call, arguments, cancellationToken).ConfigureAwait(false));
                if (scope.Route!.IsSingleDatabase)
                {
                    (cursor, hasRow, _) = await OpenFirstRowAsync(scope, call, arguments).ConfigureAwait(false);
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

            await using IAsyncEnumerator<T> enumerator = FanOut.StreamAllAsync(scope.Route!, read, scope.Token).GetAsyncEnumerator(scope.Token);
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

    private ValueTask<ClusterSnapshot> AcquireClusterAsync(string name, RemoteCall call, CancellationToken cancellationToken) =>
        clusters.AcquireAsync(name, call.Errors(name), cancellationToken);

    // Where the call runs (a cluster, or a CONNECT target: a cluster of one partition) and on which partitions.
    private async ValueTask<Route> PlanAsync(RemoteCall call, object?[] arguments, CancellationToken cancellationToken)
    {
        BoundFunction function = call.Function;
        var planArguments = new ObjectArrayArguments(arguments);
        ClusterSnapshot cluster = function.Location switch
        {
            LocationKind.ConnectString => clusters.AcquireConnectTarget(function.ConnectString!),
            LocationKind.ConnectExpression => clusters.AcquireConnectTarget(EvaluateName(call, planArguments, "CONNECT")),
            LocationKind.ClusterName => await AcquireClusterAsync(function.ClusterName!, call, cancellationToken).ConfigureAwait(false),
            _ => await AcquireClusterAsync(EvaluateName(call, planArguments, "CLUSTER"), call, cancellationToken).ConfigureAwait(false),
        };
        try
        {
            ExecutionPlan plan = cluster.IsConnectTarget ? ExecutionPlan.Single(0, 0) : Planner.Plan(function, planArguments, cluster.Layout, random, call.Functions);
            return new Route(call, arguments, cluster, plan, budget, partitionExecutor);
        }
        catch
        {
            cluster.Release();
            throw;
        }
    }

    private static readonly ClusterLayout LocationContext = new("(location)", ["(none)"]);

    private static string EvaluateName(RemoteCall call, ObjectArrayArguments arguments, string statement)
    {
        SqlValue value = ExpressionEvaluator.Evaluate(call.Function.LocationExpression!, arguments, -1, LocationContext, call.Functions);
        return value.Text ?? throw call.Errors().Error($"the {statement} function returned NULL");
    }
}
