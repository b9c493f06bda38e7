using System.Data.Common;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Npgsql;
using PlProxy.Client.Generated;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;
using PlProxy.Client.Telemetry;
using Polly;
using Polly.CircuitBreaker;

namespace PlProxy.Client.Execution;

/// <summary>
/// Runs a planned call on its partitions through Npgsql: one command per database, all databases concurrently,
/// rows read as they come. Applies PL/Proxy's rules: a non-set-returning call needs exactly one row in all, remote
/// errors keep their SQLSTATE, and the first failure cancels the other databases' commands.
/// </summary>
internal sealed class CallExecutor(PlProxyDataSource source)
{
    private const int StreamBufferRows = 256;

    /// <summary>The SQLSTATE of calls that never reached their partition (could not connect, or its circuit is open): safe to send elsewhere.</summary>
    internal const string ConnectFailedState = "08001";

    /// <summary>A planned call: where it runs and with which arguments.</summary>
    private sealed record Route(ProxyMethod Method, object?[] Arguments, ClusterRuntime? Cluster, NpgsqlDataSource? Direct, ExecutionPlan Plan, ConnectionBudget? Budget = null, IPartitionExecutor? Executor = null);

    public Task<T> SingleAsync<T>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        RunAsync<T, T, SingleRow<T>>(method, arguments, read, cancellationToken);

    public Task<IReadOnlyList<T>> ListAsync<T>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken) =>
        RunAsync<T, IReadOnlyList<T>, RowList<T>>(method, arguments, read, cancellationToken);

    /// <summary>Where a call's rows go: one row (PL/Proxy's rule for functions that do not return a set) or all of them.</summary>
    private interface IRowSink<T, TResult>
    {
        int Count { get; }

        bool ExactlyOneRow { get; }

        TResult Result { get; }

        void Add(T row);

        void AddRange(List<T> rows);
    }

    // Keeps the first row and counts the rest: no list for the common single-row call.
    private struct SingleRow<T> : IRowSink<T, T>
    {
        private T _row;

        public int Count { get; private set; }

        public readonly bool ExactlyOneRow => true;

        public readonly T Result => _row;

        public void Add(T row)
        {
            if (Count++ == 0)
            {
                _row = row;
            }
        }

        public void AddRange(List<T> rows)
        {
            foreach (T row in rows)
            {
                Add(row);
            }
        }
    }

    private struct RowList<T> : IRowSink<T, IReadOnlyList<T>>
    {
        private List<T>? _rows;

        public readonly int Count => _rows?.Count ?? 0;

        public readonly bool ExactlyOneRow => false;

        public readonly IReadOnlyList<T> Result => _rows ?? [];

        public void Add(T row) => (_rows ??= []).Add(row);

        public void AddRange(List<T> rows)
        {
            if (_rows is null)
            {
                _rows = rows; // the fan-out's own concatenation
            }
            else
            {
                _rows.AddRange(rows);
            }
        }
    }

    // Plans, runs and reads a call under its telemetry and the cluster's query_timeout, holding the cluster version's
    // lease until the rows are read. One database is read right here (RUN ON ANY failing over to the next partition
    // when one cannot be reached); several go through ReadAllAsync, concurrently.
    private async Task<TResult> RunAsync<T, TResult, TRows>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken)
        where TRows : struct, IRowSink<T, TResult>
    {
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = StartCall(method);
        Route? route = null;
        try
        {
            route = await PlanAsync(method, arguments, cancellationToken).ConfigureAwait(false);
            TRows rows = default;
            using (CancellationTokenSource? timeout = StartTimeout(route, cancellationToken))
            {
                CancellationToken token = timeout?.Token ?? cancellationToken;
                try
                {
                    if (route.Plan.IsSingle || route.Direct is not null)
                    {
                        for (int attempt = 1; ; attempt++)
                        {
                            TargetCursor cursor;
                            try
                            {
                                cursor = await OpenTargetAsync(route, 0, token).ConfigureAwait(false);
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
                        rows.AddRange(await ReadAllAsync(route, read, token).ConfigureAwait(false));
                    }
                }
                catch (OperationCanceledException e) when (TimedOut(timeout, cancellationToken))
                {
                    throw QueryTimeout(route, e);
                }
            }

            if (rows.ExactlyOneRow && rows.Count != 1)
            {
                throw new PlProxyException(
                    $"{method.DisplayName}: Non-SETOF function requires 1 row from remote query, got {rows.Count}",
                    rows.Count == 0 ? "P0002" : "P0003")
                {
                    Cluster = route.Cluster?.Layout.Name,
                    Function = method.Function.Signature.Name,
                };
            }

            Completed(method, route, started, activity, null);
            return rows.Result;
        }
        catch (Exception e)
        {
            Completed(method, route, started, activity, e);
            throw;
        }
        finally
        {
            route?.Cluster?.Release();
        }
    }

    // RUN ON ANY moves on when a partition cannot be reached (or its circuit is open), until every one was tried.
    private static bool FailsOver(Route route, PlProxyException error, int attempt) =>
        error.SqlState == ConnectFailedState
        && route.Cluster is { } cluster
        && route.Method.Function.Run == RunKind.Any
        && route.Method.Function.SplitParameters.Count == 0
        && attempt < cluster.Layout.PartitionCount;

    /// <summary>A fan-out that tolerates failing partitions: every target runs to its end; failures are reported, not thrown.</summary>
    public async Task<PlProxyPartialResult<T>> PartialAsync<T>(ProxyMethod method, object?[] arguments, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        using Activity? activity = StartCall(method);
        Route? route = null;
        try
        {
            route = await PlanAsync(method, arguments, cancellationToken).ConfigureAwait(false);
            Route planned = route;
            using CancellationTokenSource? timeout = StartTimeout(planned, cancellationToken);
            CancellationToken token = timeout?.Token ?? cancellationToken;
            int count = planned.Plan.IsSingle || planned.Direct is not null ? 1 : planned.Plan.Count;
            var tasks = new Task<List<T>>[count];
            for (int i = 0; i < count; i++)
            {
                tasks[i] = ReadTargetAsync(planned, i, read, token).AsTask();
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
                else if (task.IsCanceled && TimedOut(timeout, cancellationToken))
                {
                    errors.Add(QueryTimeout(planned, new OperationCanceledException()));
                }
                else
                {
                    await task.ConfigureAwait(false); // anything else (the caller's cancellation) is thrown
                }
            }

            Completed(method, route, started, activity, null);
            return new PlProxyPartialResult<T>(rows, errors, count);
        }
        catch (Exception e)
        {
            Completed(method, route, started, activity, e);
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
        using Activity? activity = StartCall(method);
        Route? route = null;
        try
        {
            try
            {
                route = await PlanAsync(method, arguments, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e)
            {
                Completed(method, route, started, activity, e);
                throw;
            }

            using CancellationTokenSource? timeout = StartTimeout(route, cancellationToken);
            CancellationToken token = timeout?.Token ?? cancellationToken;
            IAsyncEnumerable<T> rows = route.Plan.IsSingle || route.Direct is not null
                ? StreamTargetAsync(route, 0, read, token)
                : StreamAllAsync(route, read, token);
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
                    Exception error = e is OperationCanceledException && TimedOut(timeout, cancellationToken) ? QueryTimeout(route, e) : e;
                    Completed(method, route, started, activity, error);
                    if (ReferenceEquals(error, e))
                    {
                        throw;
                    }

                    throw error;
                }

                yield return enumerator.Current;
            }

            Completed(method, route, started, activity, null);
        }
        finally
        {
            route?.Cluster?.Release();
        }
    }

    private static Activity? StartCall(ProxyMethod method)
    {
        Activity? activity = PlProxyTelemetry.Source.StartActivity(method.Function.Signature.Name, ActivityKind.Client);
        if (activity is not null)
        {
            activity.SetTag(TelemetryNames.DbSystem, "postgresql");
            activity.SetTag(TelemetryNames.DbOperation, method.Function.Signature.Name);
        }

        return activity;
    }

    private void Completed(ProxyMethod method, Route? route, long started, Activity? activity, Exception? error)
    {
        if (error is null && activity is null && !PlProxyTelemetry.CallDuration.Enabled)
        {
            return; // nobody listens: no tags to build
        }

        string function = method.Function.Signature.Name;
        string? cluster = route?.Cluster?.Layout.Name ?? (error as PlProxyException)?.Cluster;
        var tags = new TagList
        {
            { TelemetryNames.DbSystem, "postgresql" },
            { TelemetryNames.DbOperation, function },
            { TelemetryNames.Cluster, cluster },
        };
        activity?.SetTag(TelemetryNames.Cluster, cluster);
        activity?.SetTag(TelemetryNames.Targets, route?.Plan.Count);
        if (error is not null)
        {
            string state = (error as System.Data.Common.DbException)?.SqlState ?? (error is OperationCanceledException ? "57014" : PlProxyException.InternalErrorState);
            tags.Add(TelemetryNames.ErrorType, error is PlProxyException ? state : error.GetType().Name);
            tags.Add(TelemetryNames.DbResponseStatusCode, state);
            PlProxyTelemetry.Errors.Add(1, tags);
            activity?.SetStatus(ActivityStatusCode.Error, error.Message);
            activity?.SetTag(TelemetryNames.DbResponseStatusCode, state);
            activity?.SetTag(TelemetryNames.ErrorType, tags.Last().Value);
            if (error is not OperationCanceledException)
            {
                var plProxy = error as PlProxyException;
                Log.CallFailed(source.Logger, function, cluster, plProxy?.PartitionIndex, plProxy?.Database, state, error);
            }
        }

        if (PlProxyTelemetry.CallDuration.Enabled)
        {
            PlProxyTelemetry.CallDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    // Several databases: every database's rows go into one bounded buffer as they arrive, so memory stays
    // bounded whatever the result size; the first failure cancels the rest and ends the stream with it.
    private static async IAsyncEnumerable<T> StreamAllAsync<T>(Route route, Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(StreamBufferRows) { SingleReader = true });
        Task[] producers = new Task[route.Plan.Count];
        for (int i = 0; i < producers.Length; i++)
        {
            producers[i] = ProduceAsync(route, i, read, channel.Writer, cancellation);
        }

        Task completion = CompleteWhenDoneAsync(producers, channel.Writer);
        try
        {
            await foreach (T row in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return row;
            }
        }
        finally
        {
            await cancellation.CancelAsync().ConfigureAwait(false);
            await completion.ConfigureAwait(false);
        }
    }

    private static CancellationTokenSource? StartTimeout(Route route, CancellationToken cancellationToken)
    {
        if (route.Cluster?.QueryTimeout is not { } queryTimeout)
        {
            return null;
        }

        var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(queryTimeout);
        return timeout;
    }

    private static bool TimedOut(CancellationTokenSource? timeout, CancellationToken cancellationToken) =>
        timeout is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested;

    private static PlProxyException QueryTimeout(Route route, Exception cancellation) =>
        new($"{route.Method.DisplayName}: query_timeout of {route.Cluster!.QueryTimeout!.Value.TotalSeconds:0.###} s expired on cluster '{route.Cluster.Layout.Name}'; the remote statements were cancelled", "57014", cancellation)
        {
            Cluster = route.Cluster.Layout.Name,
            Function = route.Method.Function.Signature.Name,
        };

    private static async Task ProduceAsync<T>(Route route, int target, Func<DbDataReader, T> read, ChannelWriter<T> writer, CancellationTokenSource cancellation)
    {
        try
        {
            await foreach (T row in StreamTargetAsync(route, target, read, cancellation.Token).ConfigureAwait(false))
            {
                await writer.WriteAsync(row, cancellation.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // Stopped: another database failed, the consumer stopped reading, or the caller cancelled.
        }
        catch (Exception e)
        {
            writer.TryComplete(e); // the first failure ends the stream; later ones are ignored
            await cancellation.CancelAsync().ConfigureAwait(false);
        }
    }

    // Never throws: a producer's failure has already completed the channel with it.
    private static async Task CompleteWhenDoneAsync<T>(Task[] producers, ChannelWriter<T> writer)
    {
        try
        {
            await Task.WhenAll(producers).ConfigureAwait(false);
            writer.TryComplete();
        }
        catch (Exception e)
        {
            writer.TryComplete(e);
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

    // Runs every target concurrently and concatenates their rows in plan order; the first failure cancels the rest.
    private static async Task<List<T>> ReadAllAsync<T>(Route route, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var fanOut = new FanOut<T>(route.Plan.Count, cancellation);
        var tasks = new Task[route.Plan.Count];
        for (int i = 0; i < tasks.Length; i++)
        {
            tasks[i] = ReadIntoAsync(route, i, read, fanOut);
        }

        await Task.WhenAll(tasks).ConfigureAwait(false); // never faults: each target hands its failure to the fan-out
        if (fanOut.FirstFailure is { } failure)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
        }

        int count = 0;
        foreach (List<T> part in fanOut.Rows)
        {
            count += part.Count;
        }

        var rows = new List<T>(count);
        foreach (List<T> part in fanOut.Rows)
        {
            rows.AddRange(part);
        }

        return rows;
    }

    // One target of a fan-out: its rows into its slot, or its failure; the first failure cancels the other targets.
    private static async Task ReadIntoAsync<T>(Route route, int target, Func<DbDataReader, T> read, FanOut<T> fanOut)
    {
        try
        {
            fanOut.Rows[target] = await ReadTargetAsync(route, target, read, fanOut.Cancellation.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            if (Interlocked.CompareExchange(ref fanOut.FirstFailure, e, null) is null)
            {
                await fanOut.Cancellation.CancelAsync().ConfigureAwait(false);
            }

            // Later failures are the others being cancelled because of the first (or failing after it): not reported.
        }
    }

    /// <summary>The shared state of one fan-out: a slot of rows per target, the first failure, and the cancellation it triggers.</summary>
    private sealed class FanOut<T>(int targets, CancellationTokenSource cancellation)
    {
        public Exception? FirstFailure;

        public List<T>[] Rows { get; } = new List<T>[targets];

        public CancellationTokenSource Cancellation { get; } = cancellation;
    }

    private static async ValueTask<List<T>> ReadTargetAsync<T>(Route route, int target, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        var rows = new List<T>();
        TargetCursor cursor = await OpenTargetAsync(route, target, cancellationToken).ConfigureAwait(false);
        await using (cursor.ConfigureAwait(false))
        {
            while (await cursor.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(cursor.Current(read));
            }
        }

        return rows;
    }

    private static async IAsyncEnumerable<T> StreamTargetAsync<T>(Route route, int target, Func<DbDataReader, T> read, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        TargetCursor cursor = await OpenTargetAsync(route, target, cancellationToken).ConfigureAwait(false);
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
    /// breaker) around opening and executing. Rows, once they flow, are never retried.
    /// </summary>
    private static async ValueTask<TargetCursor> OpenTargetAsync(Route route, int target, CancellationToken cancellationToken)
    {
        (NpgsqlDataSource dataSource, ResiliencePipeline pipeline, int partition, int[]? rows) = Resolve(route, target);
        var cursor = new TargetCursor(route, dataSource, partition);
        try
        {
            if (route.Budget is not null)
            {
                try
                {
                    cursor.Budget = await route.Budget.EnterAsync(dataSource, cancellationToken).ConfigureAwait(false);
                }
                catch (PlProxyException e)
                {
                    throw new PlProxyException($"{route.Method.DisplayName}: [{cursor.Database}] {e.Message}", e.SqlState)
                    {
                        Cluster = route.Cluster?.Layout.Name,
                        Function = route.Method.Function.Signature.Name,
                        PartitionIndex = route.Cluster is null ? null : partition,
                        Database = cursor.Database,
                    };
                }
            }

            if (route.Executor is { } executor)
            {
                try
                {
                    cursor.Reader = await executor.ExecuteAsync(Request(route, partition, rows), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (Wrap(e, route, dataSource, partition) is { } wrapped)
                {
                    throw wrapped;
                }

                return cursor;
            }

            ResilienceContext context = ResilienceContextPool.Shared.Get(cancellationToken);
            context.Properties.Set(PartitionPipeline.Idempotent, route.Method.Idempotent);
            context.Properties.Set(PartitionPipeline.Function, route.Method.Function.Signature.Name);
            try
            {
                // The outcome form: no exception thrown through Polly's layers, and no wrapper of its own around the callback.
                Outcome<DbDataReader> outcome = await pipeline.ExecuteOutcomeAsync(
                    static async (context, state) =>
                    {
                        NpgsqlConnection opened;
                        try
                        {
                            opened = await state.DataSource.OpenConnectionAsync(context.CancellationToken).ConfigureAwait(false);
                        }
                        catch (Exception e)
                        {
                            return Outcome.FromException<DbDataReader>(e is OperationCanceledException ? e : new ConnectFailedException(e));
                        }

                        try
                        {
                            return Outcome.FromResult<DbDataReader>(await ExecuteReaderAsync(state.DataSource, state.Route, state.Rows, opened, state.Cursor, context.CancellationToken).ConfigureAwait(false));
                        }
                        catch (Exception e)
                        {
                            await opened.DisposeAsync().ConfigureAwait(false);
                            return Outcome.FromException<DbDataReader>(e);
                        }
                    },
                    context,
                    (DataSource: dataSource, Route: route, Rows: rows, Cursor: cursor)).ConfigureAwait(false);
                outcome.ThrowIfException();
                cursor.Reader = outcome.Result;
            }
            catch (Exception e) when (Wrap(e, route, dataSource, partition) is { } wrapped)
            {
                throw wrapped;
            }
            finally
            {
                ResilienceContextPool.Shared.Return(context);
            }

            return cursor;
        }
        catch
        {
            await cursor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>One database's rows as they are read, with its telemetry and its share of the connection budget.</summary>
    private sealed class TargetCursor : IAsyncDisposable
    {
        private readonly Route _route;
        private readonly NpgsqlDataSource _dataSource;
        private readonly int _partition;
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly Activity? _activity;
        private int _rows;
        private bool _finished; // the remote statement is over: every row read, or it ended with an error

        public TargetCursor(Route route, NpgsqlDataSource dataSource, int partition)
        {
            _route = route;
            _dataSource = dataSource;
            _partition = partition;
            Database = DatabaseName.Of(dataSource);
            _activity = PlProxyTelemetry.Source.HasListeners() // the name is built only for a listener
                ? PlProxyTelemetry.Source.StartActivity($"{route.Method.Function.Signature.Name} partition {partition}", ActivityKind.Client)
                : null;
            _activity?.SetTag(TelemetryNames.Partition, partition);
            _activity?.SetTag(TelemetryNames.DbNamespace, Database);
        }

        public string Database { get; }

        public IDisposable? Budget { get; set; }

        public DbDataReader? Reader { get; set; }

        /// <summary>The Npgsql command whose rows <see cref="Reader"/> reads (null for the executor seam).</summary>
        public NpgsqlCommand? Command { get; set; }

        public async ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
        {
            // Npgsql answers rows already in its buffer without looking at the token: look here, once per row.
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                bool more = await Reader!.ReadAsync(cancellationToken).ConfigureAwait(false);
                _finished = !more;
                return more;
            }
            catch (PostgresException e)
            {
                _finished = true; // the server ended the statement itself
                throw Wrap(e, _route, _dataSource, _partition)!;
            }
            catch (Exception e) when (Wrap(e, _route, _dataSource, _partition) is { } wrapped)
            {
                throw wrapped;
            }
        }

        public T Current<T>(Func<DbDataReader, T> read)
        {
            try
            {
                T row = read(Reader!);
                _rows++;
                return row;
            }
            catch (Exception e) when (Wrap(e, _route, _dataSource, _partition) is { } wrapped)
            {
                throw wrapped;
            }
        }

        public async ValueTask DisposeAsync()
        {
            _activity?.SetTag(TelemetryNames.Rows, _rows);
            if (PlProxyTelemetry.PartitionDuration.Enabled)
            {
                PlProxyTelemetry.PartitionDuration.Record(Stopwatch.GetElapsedTime(_started).TotalSeconds, new TagList
                {
                    { TelemetryNames.Cluster, _route.Cluster?.Layout.Name },
                    { TelemetryNames.Partition, _partition },
                    { TelemetryNames.DbNamespace, Database },
                });
            }
            if (Reader is not null)
            {
                if (_finished || Command is null)
                {
                    await Reader.DisposeAsync().ConfigureAwait(false);
                }
                else
                {
                    await AbandonAsync(Reader, Command, _dataSource, _route.Cluster?.SignalsBackends == true).ConfigureAwait(false);
                }
            }

            Budget?.Dispose();
            _activity?.Dispose();
        }
    }

    // A statement left before its end (break, cancellation, query_timeout, a failing sibling): disposing the reader
    // alone would make Npgsql read the rest of the result, however large or slow. PostgreSQL is asked to cancel the
    // statement first (Npgsql's cancel request returns once the server has signalled the backend; one that already
    // finished ignores it while idle), so only what was already in flight is drained and the connection goes back
    // to its pool in a known state; if it cannot be drained, it is closed instead. A cancel PostgreSQL ignored
    // (see StatementStopper) is followed by a signal to the backend.
    private static async ValueTask AbandonAsync(DbDataReader reader, NpgsqlCommand command, NpgsqlDataSource dataSource, bool signalsBackend)
    {
        NpgsqlConnection? connection = command.Connection;
        int processId = connection?.ProcessID ?? 0;
        try
        {
            command.Cancel();
            Task drained = reader.DisposeAsync().AsTask();
            if (signalsBackend)
            {
                await StatementStopper.StopAsync(drained, dataSource, processId, command.CommandText).ConfigureAwait(false);
            }

            await drained.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // 57014 or a broken connection: the statement is over either way, and its caller already has its outcome.
        }
        finally
        {
            if (connection is not null)
            {
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static (NpgsqlDataSource DataSource, ResiliencePipeline Pipeline, int Partition, int[]? Rows) Resolve(Route route, int target)
    {
        if (route.Direct is not null)
        {
            return (route.Direct, PartitionPipeline.Direct, 0, null);
        }

        if (route.Plan.IsSingle)
        {
            int connection = route.Plan.SingleConnection;
            return (route.Cluster!.DataSource(connection), route.Cluster.Pipeline(connection), route.Plan.SinglePartition, null);
        }

        PlanTarget planTarget = route.Plan[target];
        return (route.Cluster!.DataSource(planTarget.Connection), route.Cluster.Pipeline(planTarget.Connection), planTarget.Partition, planTarget.Rows);
    }

    // Every argument of the function by name (split arrays cut to this partition's elements), whatever the SQL uses.
    private static PartitionRequest Request(Route route, int partition, int[]? rows)
    {
        ProxyMethod method = route.Method;
        object?[] values = route.Arguments; // the call's own array: nothing to cut when nothing is split
        if (rows is not null)
        {
            values = new object?[values.Length];
            for (int index = 0; index < values.Length; index++)
            {
                object? value = route.Arguments[index];
                values[index] = method.Function.IsSplit(index) ? SplitValues.Cut(value, rows) : value;
            }
        }

        return new PartitionRequest(route.Cluster?.Layout.Name, partition, method.Function.Target ?? method.Function.Signature.Name, method.Sql, method.ParameterNames, values);
    }

    // The reader owns the connection: disposing it returns the connection to its pool. Direct connections prepare
    // statements automatically; when a partition's DDL has changed what a prepared statement returns, PostgreSQL
    // refuses it before running anything ("cached plan must not change result type"), so the statement is sent once
    // more on a connection whose prepared statements were dropped.
    private static async ValueTask<NpgsqlDataReader> ExecuteReaderAsync(NpgsqlDataSource dataSource, Route route, int[]? rows, NpgsqlConnection connection, TargetCursor cursor, CancellationToken cancellationToken)
    {
        try
        {
            cursor.Command = CreateCommand(route.Method, route.Arguments, rows, connection);
            return await ExecuteUntilCancelledAsync(cursor.Command, dataSource, route.Cluster?.SignalsBackends == true, cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException e) when (e is { SqlState: "0A000", Routine: "RevalidateCachedQuery" })
        {
            NpgsqlConnection fresh = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                fresh.UnprepareAll();
                cursor.Command = CreateCommand(route.Method, route.Arguments, rows, fresh);
                return await ExecuteUntilCancelledAsync(cursor.Command, dataSource, route.Cluster?.SignalsBackends == true, cancellationToken).ConfigureAwait(false);
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

    private static NpgsqlCommand CreateCommand(ProxyMethod method, object?[] arguments, int[]? rows, NpgsqlConnection connection)
    {
        var command = new NpgsqlCommand(method.Sql, connection);
        foreach (int index in method.ParameterOrder)
        {
            object? value = arguments[index];
            if (rows is not null && method.Function.IsSplit(index))
            {
                value = SplitValues.Cut(value, rows);
            }

            var parameter = new NpgsqlParameter { Value = value ?? DBNull.Value };
            if (method.ParameterWireTypes[index] is { } wireType)
            {
                parameter.DataTypeName = wireType;
            }
            else if (value is object?[])
            {
                parameter.DataTypeName = method.ParameterTypes[index]; // a list cut to an object array: the declared type says what its elements are
            }

            command.Parameters.Add(parameter);
        }

        return command;
    }

    // Remote errors become PlProxyException with PL/Proxy's wording and the remote SQLSTATE; cancellation passes through.
    private static PlProxyException? Wrap(Exception error, Route route, NpgsqlDataSource dataSource, int partition)
    {
        if (error is PlProxyException or OperationCanceledException or ObjectDisposedException)
        {
            return null;
        }

        string database = DatabaseName.Of(dataSource);
        Exception cause = error is ConnectFailedException connect ? connect.InnerException! : error;
        (string message, string state) = error switch
        {
            BrokenCircuitException => ($"circuit open: the partition failed repeatedly, calls to it fail fast until it recovers", ConnectFailedState),
            ConnectFailedException => ($"could not connect: {cause.Message}", ConnectFailedState),
            PostgresException remote => ($"REMOTE ERROR: {remote.MessageText}", remote.SqlState),
            NpgsqlException => ($"connection failed: {error.Message}", "08006"),
            _ => ($"{error.GetType().Name}: {error.Message}", PlProxyException.InternalErrorState),
        };

        return new PlProxyException($"{route.Method.DisplayName}: [{database}] {message}", state, cause)
        {
            Cluster = route.Cluster?.Layout.Name,
            Function = route.Method.Function.Signature.Name,
            PartitionIndex = route.Cluster is null ? null : partition,
            Database = database,
        };
    }
}
