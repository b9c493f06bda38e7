using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using PlProxy.Client.Generated;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Execution;

/// <summary>
/// Runs a planned call on its partitions through Npgsql: one command per database, all databases concurrently,
/// rows read as they come. Applies PL/Proxy's rules: a non-set-returning call needs exactly one row in all, remote
/// errors keep their SQLSTATE, and the first failure cancels the other databases' commands.
/// </summary>
internal sealed class CallExecutor(PlProxyDataSource source)
{

    public Task<T> SingleAsync<T>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        RunAsync<T, T, SingleRow<T>>(method, arguments, read, cancellationToken);

    public Task<IReadOnlyList<T>> ListAsync<T>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        RunAsync<T, IReadOnlyList<T>, RowList<T>>(method, arguments, read, cancellationToken);

    // Plans, runs and reads a call under its telemetry and the cluster's query_timeout, holding the cluster version's
    // lease until the rows are read. One database is read right here (RUN ON ANY failing over to the next partition
    // when one cannot be reached); several go through ReadAllAsync, concurrently.
    private async Task<TResult> RunAsync<T, TResult, TRows>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken)
        where TRows : struct, IRowSink<T, TResult>
    {
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = CallTelemetry.Start(method);
        Route? route = null;
        try
        {
            route = await PlanAsync(method, arguments, cancellationToken).ConfigureAwait(false);
            TRows rows = default;
            using (CancellationTokenSource? timeout = CallTimeout.Start(route, cancellationToken))
            {
                CancellationToken token = timeout?.Token ?? cancellationToken;
                try
                {
                    if (route.IsSingleDatabase)
                    {
                        for (int attempt = 1; ; attempt++)
                        {
                            TargetCursor cursor;
                            try
                            {
                                cursor = await PartitionCall.OpenAsync(route, 0, token).ConfigureAwait(false);
                            }
                            catch (PlProxyException e) when (FailsOver(route, e, attempt))
                            {
                                int next = (route.Plan.SinglePartition + 1) % route.Cluster!.Layout.PartitionCount;
                                route = route with { Plan = ExecutionPlan.Single(route.Cluster.Layout.ConnectionOf(next), next) };
                                continue;
                            }

                            await using (cursor.ConfigureAwait(false))
                            {
                                while (await cursor.ReadAsync(token).ConfigureAwait(false))
                                {
                                    rows.Add(cursor.Current(read));
                                }
                            }

                            break;
                        }
                    }
                    else
                    {
                        rows.AddRange(await FanOut.ReadAllAsync(route, read, token).ConfigureAwait(false));
                    }
                }
                catch (OperationCanceledException e) when (CallTimeout.TimedOut(timeout, cancellationToken))
                {
                    throw RemoteErrors.QueryTimeout(route, e);
                }
            }

            if (rows.ExactlyOneRow && rows.Count != 1)
            {
                throw RemoteErrors.RowCount(route, rows.Count);
            }

            CallTelemetry.Completed(source.Logger, method, route, started, activity, null);
            return rows.Result;
        }
        catch (Exception e)
        {
            CallTelemetry.Completed(source.Logger, method, route, started, activity, e);
            throw;
        }
        finally
        {
            route?.Cluster?.Release();
        }
    }

    // RUN ON ANY moves on when a partition cannot be reached (or its circuit is open), until every one was tried.
    private static bool FailsOver(Route route, PlProxyException error, int attempt) =>
        error.SqlState == RemoteErrors.ConnectFailedState
        && route.Cluster is { } cluster
        && route.Method.Function.Run == RunKind.Any
        && route.Method.Function.SplitParameters.Count == 0
        && attempt < cluster.Layout.PartitionCount;

    /// <summary>A fan-out that tolerates failing partitions: every target runs to its end; failures are reported, not thrown.</summary>
    public async Task<PlProxyPartialResult<T>> PartialAsync<T>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = CallTelemetry.Start(method);
        Route? route = null;
        try
        {
            route = await PlanAsync(method, arguments, cancellationToken).ConfigureAwait(false);
            Route planned = route;
            using CancellationTokenSource? timeout = CallTimeout.Start(planned, cancellationToken);
            CancellationToken token = timeout?.Token ?? cancellationToken;
            int count = planned.IsSingleDatabase ? 1 : planned.Plan.Count;
            var tasks = new Task<List<T>>[count];
            for (int i = 0; i < count; i++)
            {
                tasks[i] = PartitionCall.ReadAsync(planned, i, read, token).AsTask();
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
                else if (task.IsCanceled && CallTimeout.TimedOut(timeout, cancellationToken))
                {
                    errors.Add(RemoteErrors.QueryTimeout(planned, new OperationCanceledException()));
                }
                else
                {
                    await task.ConfigureAwait(false); // anything else (the caller's cancellation) is thrown
                }
            }

            CallTelemetry.Completed(source.Logger, method, route, started, activity, null);
            return new PlProxyPartialResult<T>(rows, errors, count);
        }
        catch (Exception e)
        {
            CallTelemetry.Completed(source.Logger, method, route, started, activity, e);
            throw;
        }
        finally
        {
            route?.Cluster?.Release();
        }
    }

    public async IAsyncEnumerable<T> StreamAsync<T>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = CallTelemetry.Start(method);
        Route? route = null;
        try
        {
            try
            {
                route = await PlanAsync(method, arguments, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                CallTelemetry.Completed(source.Logger, method, route, started, activity, e);
                throw;
            }

            using CancellationTokenSource? timeout = CallTimeout.Start(route, cancellationToken);
            CancellationToken token = timeout?.Token ?? cancellationToken;
            IAsyncEnumerable<T> rows = route.IsSingleDatabase
                ? PartitionCall.StreamAsync(route, 0, read, token)
                : FanOut.StreamAllAsync(route, read, token);
            await using IAsyncEnumerator<T> enumerator = rows.GetAsyncEnumerator(token);
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
                    Exception error = e is OperationCanceledException && CallTimeout.TimedOut(timeout, cancellationToken) ? RemoteErrors.QueryTimeout(route, e) : e;
                    CallTelemetry.Completed(source.Logger, method, route, started, activity, error);
                    if (ReferenceEquals(error, e))
                    {
                        throw;
                    }

                    throw error;
                }

                yield return enumerator.Current;
            }

            CallTelemetry.Completed(source.Logger, method, route, started, activity, null);
        }
        finally
        {
            route?.Cluster?.Release();
        }
    }

    private async ValueTask<Route> PlanAsync(ProxyMethod method, object?[] arguments, CancellationToken cancellationToken)
    {
        source.ThrowIfDisposed();
        BoundFunction function = method.Function;
        var planArguments = new ObjectArrayArguments(arguments);
        switch (function.Location)
        {
            case LocationKind.ConnectString:
                return new Route(method, arguments, null, source.DataSourceFor(function.ConnectString!), ExecutionPlan.Single(0, 0), source.Budget, source.PartitionExecutor);

            case LocationKind.ConnectExpression:
                string connectionString = EvaluateName(method, planArguments, "CONNECT");
                return new Route(method, arguments, null, source.DataSourceFor(connectionString), ExecutionPlan.Single(0, 0), source.Budget, source.PartitionExecutor);

            default:
                string clusterName = function.Location == LocationKind.ClusterName ? function.ClusterName! : EvaluateName(method, planArguments, "CLUSTER");
                ClusterRuntime cluster = await source.AcquireClusterAsync(clusterName, method, cancellationToken).ConfigureAwait(false);
                try
                {
                    ExecutionPlan plan = Planner.Plan(function, planArguments, cluster.Layout, source.Random, method.Functions);
                    return new Route(method, arguments, cluster, null, plan, source.Budget, source.PartitionExecutor);
                }
                catch
                {
                    cluster.Release();
                    throw;
                }
        }
    }

    private static readonly ClusterLayout LocationContext = new("(location)", ["(none)"]);

    private static string EvaluateName(ProxyMethod method, ObjectArrayArguments arguments, string statement)
    {
        SqlValue value = ExpressionEvaluator.Evaluate(method.Function.LocationExpression!, arguments, -1, LocationContext, method.Functions);
        return value.Text ?? throw new PlProxyException($"{method.DisplayName}: the {statement} function returned NULL") { Function = method.Function.Signature.Name };
    }

}
