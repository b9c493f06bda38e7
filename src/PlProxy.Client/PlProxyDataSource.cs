using System.Data.Common;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;
using PlProxy.Client.Connections;
using PlProxy.Client.Execution;
using PlProxy.Client.Planning;
using PlProxy.Client.Proxies;
using PlProxy.Client.Resilience;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client;

/// <summary>
/// The root of PlProxy.Client, like Npgsql's <see cref="NpgsqlDataSource"/>: it owns the clusters and one pooled
/// Npgsql data source per partition database (strings naming one database with the same settings, however written,
/// share it, as do every cluster and function that use it), creates the generated proxies, and runs bodies given as text. Long-lived and thread-safe;
/// disposing it disposes the pools.
/// </summary>
/// <remarks>
/// A cluster changes atomically: calls see the old or the new partition list, never a mix, and calls in flight
/// finish on the version they started with; pools no longer used by any cluster are disposed once those calls end.
/// </remarks>
public sealed class PlProxyDataSource : IAsyncDisposable, IDisposable
{
    private readonly BoundBodies _commands = new();
    private readonly List<IDisposable> _attached = [];
    private readonly ClusterRegistry _clusters;
    private readonly CallExecutor _executor;
    private readonly ConnectionBudget? _budget;
    private readonly ProxyExecutor _proxyExecutor;
    private int _disposed;

    private PlProxyDataSource(PlProxyOptions options, IRandomSource random, ILoggerFactory? loggerFactory, IPartitionExecutor? partitionExecutor)
    {
        ILogger calls = loggerFactory?.CreateLogger(TelemetryNames.CallsLogCategory) ?? NullLogger.Instance;
        Logger = loggerFactory?.CreateLogger(TelemetryNames.ClustersLogCategory) ?? NullLogger.Instance;
        ILogger resilience = loggerFactory?.CreateLogger(TelemetryNames.ResilienceLogCategory) ?? NullLogger.Instance;
        _clusters = new ClusterRegistry(options.ProxyDatabase, options.ProxyDatabasePollInterval, Logger, new PoolFactory(options.ConfigureNpgsql, loggerFactory), options.ProxyDatabaseClusters, resilience)
        {
            ConfigureResilience = options.ConfigureResilience,
        };
        _budget = options.MaxConnectionsPerHost is { } max ? new ConnectionBudget(max, options.ConnectionBudgetTimeout) : null;
        _executor = new CallExecutor(_clusters, random, calls, _budget, partitionExecutor, options.FencedCallTimeout, options.ConnectionBudgetTimeout);
        _proxyExecutor = new ProxyExecutor(_executor);
    }

    /// <summary>The executor the proxies call through (for tests).</summary>
    internal CallExecutor Executor => _executor;

    /// <summary>The clusters and pools (for tests and benchmarks).</summary>
    internal ClusterRegistry Clusters => _clusters;

    /// <summary>Where this data source logs about its clusters (category <see cref="TelemetryNames.ClustersLogCategory"/>); calls and resilience log under their own categories.</summary>
    internal ILogger Logger { get; }

    /// <summary>Called with a cluster's name as a new version of it is built, before anything is published (a seam for tests).</summary>
    internal Action<string>? Building
    {
        get => _clusters.Building;
        set => _clusters.Building = value;
    }

    /// <summary>The number of bodies given as text whose binding is cached (for tests).</summary>
    internal int CachedCommandCount => _commands.Count;

    /// <summary>The number of open connection pools (for tests).</summary>
    internal int PoolCount => _clusters.PoolCount;

    /// <summary>Creates a data source for the clusters in <paramref name="options"/>.</summary>
    /// <param name="options">The clusters.</param>
    /// <returns>The data source.</returns>
    /// <exception cref="ArgumentException">The options are invalid; the message names each cluster and entry at fault (never a password).</exception>
    public static PlProxyDataSource Create(PlProxyOptions options) => Create(options, loggerFactory: null);

    /// <summary>Creates a data source for the clusters in <paramref name="options"/> that logs through <paramref name="loggerFactory"/>.</summary>
    /// <param name="options">The clusters.</param>
    /// <param name="loggerFactory">Where log events go (category <c>PlProxy.Client</c>); null for none.</param>
    /// <returns>The data source.</returns>
    /// <exception cref="ArgumentException">The options are invalid; the message names each cluster and entry at fault (never a password).</exception>
    public static PlProxyDataSource Create(PlProxyOptions options, ILoggerFactory? loggerFactory) => Create(options, SharedRandomSource.Instance, loggerFactory, null);

    /// <summary>
    /// Creates a data source whose partitions run through <paramref name="executor"/> instead of Npgsql: routing,
    /// binding and the generated proxies work as usual. For tests (see PlProxy.Client.Testing's fake clusters).
    /// </summary>
    /// <param name="options">The clusters (their connection strings only name the partitions).</param>
    /// <param name="executor">Runs each partition's part of a call.</param>
    /// <returns>The data source.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static PlProxyDataSource Create(PlProxyOptions options, IPartitionExecutor executor)
    {
        ArgumentNullException.ThrowIfNull(executor);
        return Create(options, SharedRandomSource.Instance, null, executor);
    }

    internal static PlProxyDataSource Create(PlProxyOptions options, IRandomSource random, ILoggerFactory? loggerFactory = null, IPartitionExecutor? executor = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(options);
        var source = new PlProxyDataSource(options, random, loggerFactory, executor);
        try
        {
            source._clusters.Configure(options);
        }
        catch
        {
            source.Dispose();
            throw;
        }

        return source;
    }

    /// <summary>
    /// Applies new options: clusters whose definition changed are replaced atomically, new ones added, missing ones
    /// removed. Invalid options change nothing.
    /// </summary>
    /// <param name="options">The new options.</param>
    /// <exception cref="ArgumentException">The options are invalid; nothing was applied.</exception>
    /// <exception cref="ObjectDisposedException">The data source was disposed.</exception>
    public void Reconfigure(PlProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _clusters.ThrowIfDisposed();
        ThrowIfInvalid(options);
        _clusters.Configure(options);
    }

    /// <summary>
    /// Checks the proxy database's cluster versions now (besides the periodic check) and reloads every cluster whose
    /// version changed. PL/Proxy checks on every call; checking periodically saves a round trip per call at the
    /// price of seeing changes up to one interval late.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The number of clusters reloaded.</returns>
    public Task<int> RefreshAsync(CancellationToken cancellationToken = default)
    {
        _clusters.ThrowIfDisposed();
        return _clusters.ProxyDatabase?.RefreshAsync(cancellationToken) ?? Task.FromResult(0);
    }

    /// <summary>
    /// The partition <paramref name="hash"/> routes to in <paramref name="cluster"/>, with its pool, for data access the
    /// proxies do not cover (Dapper, EF Core, a transaction of several statements). It holds the cluster's current
    /// version until disposed, and one of the partition's connections as a call holds one: a slot of
    /// <c>MaxConnectionsPerPartition</c> (and a call of <c>MaxConnectionsPerHost</c>), taken in turn with the calls —
    /// so the connection opened from it counts against the cap, and calls that find the others busy queue and share a
    /// round trip. Open one connection at a time from it, and dispose it when the work is done (at a cap of one, a
    /// call to the same partition waits until then). With <c>ReadYourWrites</c>, what was written through it
    /// before its disposal is seen by the <c>[ReadFromStandby]</c> calls to that partition that start after it.
    /// </summary>
    /// <param name="cluster">The cluster's name (configured, or defined by the proxy database).</param>
    /// <param name="hash">The hash a <c>RUN ON</c> expression would give for the key, e.g. <c>PgHash.HashText(username)</c>.</param>
    /// <param name="cancellationToken">Cancels loading the cluster from the proxy database, and the wait for the partition's connection.</param>
    /// <returns>The partition; dispose it to give its connection slot back and let the cluster's version go.</returns>
    /// <exception cref="ArgumentException"><paramref name="cluster"/> is null or empty.</exception>
    /// <exception cref="PlProxyException">No such cluster: the message names it. SQLSTATE 53300: the partition's connections (or its host's budget) stayed busy for <c>ConnectionBudgetTimeout</c>.</exception>
    /// <exception cref="ObjectDisposedException">The data source was disposed.</exception>
    public async ValueTask<PlProxyPartition> GetPartitionAsync(string cluster, int hash, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(cluster);
        ClusterSnapshot snapshot = await _clusters.AcquireAsync(cluster, new CallErrorContext($"GetPartitionAsync({cluster})", null, cluster), cancellationToken).ConfigureAwait(false);
        int index = snapshot.Layout.PartitionOf(hash);
        int connection = snapshot.Layout.ConnectionOf(index);
        NpgsqlDataSource pool = snapshot.DataSource(connection);
        PartitionHold hold;
        try
        {
            // One of the partition's connection slots (and a call of its host's budget), as a call takes them: what the
            // user opens counts against the cap, so calls wait their turn at the gate rather than in Npgsql's pool.
            hold = await _executor.HoldAsync(snapshot, connection, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            snapshot.Release();
            throw;
        }

        PartitionReplicas? replicas = snapshot.ReplicasOf(connection);
        Action release = () =>
        {
            replicas?.NoteWrite(); // what was done on the primary may have been a write: read-your-writes counts it from here
            hold.Dispose(); // then the slot goes to what waits for it
            snapshot.Release();
        };
        return new PlProxyPartition(cluster, hash, index, pool, DatabaseName.Of(pool), release, token => _clusters.RefreshAsync(cluster, token));
    }

    /// <summary>Loads the clusters the bodies of <paramref name="proxyInterface"/> name (the hosting package's warm-up).</summary>
    /// <exception cref="PlProxyException">A cluster is neither configured nor defined by the proxy database.</exception>
    internal Task WarmUpAsync(Type proxyInterface, CancellationToken cancellationToken) =>
        _clusters.WarmUpAsync(
            ProxyFactory.ClustersOf(proxyInterface) ?? throw new InvalidOperationException($"No PL/Proxy implementation was generated for {proxyInterface.FullName}."),
            $"warm-up of {proxyInterface.Name}",
            cancellationToken);

    /// <summary>What generated proxies call through (tests build proxy methods at run time with it).</summary>
    internal ProxyExecutor Proxies => _proxyExecutor;

    /// <summary>Every partition database of the clusters serving now, asked for <c>select 1</c> (the hosting package's health check).</summary>
    internal Task<IReadOnlyList<PartitionHealth>> CheckPartitionsAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        PartitionProbe.ProbeAsync(_clusters, timeout, cancellationToken);

    /// <summary>The generated implementation of <typeparamref name="TInterface"/> over this data source.</summary>
    /// <typeparam name="TInterface">An interface marked <see cref="PlProxyAttribute"/>.</typeparam>
    /// <returns>The proxy.</returns>
    /// <exception cref="InvalidOperationException">No implementation was generated for the interface.</exception>
    public TInterface CreateProxy<TInterface>()
        where TInterface : class
    {
        _clusters.ThrowIfDisposed();
        return ProxyFactory.Create<TInterface>(_proxyExecutor);
    }

    /// <summary>Runs a body given as text and returns its single value (exactly one row, PL/Proxy's rule).</summary>
    /// <typeparam name="T">The result type (a scalar).</typeparam>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The value; default when it is NULL.</returns>
    public Task<T?> ExecuteScalarAsync<T>(PlProxyCommand command, CancellationToken cancellationToken = default)
    {
        RemoteCall call = CallFor(command, returnsSet: false, PgTypeNames.Of(typeof(T)), isVoid: false);
        return _executor.SingleAsync(call, command.Values(), RowReaders.Scalar<T>.Instance, cancellationToken);
    }

    /// <summary>Runs a set-returning body given as text and returns every row, partition by partition.</summary>
    /// <typeparam name="T">The row type.</typeparam>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="read">Reads one row (columns by name or position).</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The rows.</returns>
    public Task<IReadOnlyList<T>> QueryAsync<T>(PlProxyCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(read);
        return _executor.ListAsync(CallFor(command, returnsSet: true, resultPgType: null, isVoid: false), command.Values(), RowReader<T>.ByPosition(read), cancellationToken);
    }

    /// <summary>Runs a body given as text for its effect.</summary>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>A task that completes when the call has run.</returns>
    public Task ExecuteAsync(PlProxyCommand command, CancellationToken cancellationToken = default) =>
        _executor.SingleAsync(CallFor(command, returnsSet: false, resultPgType: null, isVoid: true), command.Values(), RowReaders.Ignored, cancellationToken);

    /// <summary>
    /// Stops the proxy database polling and disposes every connection pool. Calls whose statements were sent finish on
    /// their connections, which then close; calls still waiting for a connection (or for the connection budget) fail at
    /// once with <see cref="ObjectDisposedException"/>, as every later call does: none of them was sent.
    /// </summary>
    /// <returns>A task that completes when the pools are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        lock (_attached)
        {
            foreach (IDisposable attached in _attached)
            {
                attached.Dispose();
            }
        }

        _budget?.Close();
        await _clusters.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Stops the proxy database polling and disposes every connection pool, as <see cref="DisposeAsync"/> does.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Disposes <paramref name="disposable"/> (an options subscription) with this data source.</summary>
    internal void OnDispose(IDisposable? disposable)
    {
        if (disposable is not null)
        {
            lock (_attached)
            {
                _attached.Add(disposable);
            }
        }
    }

    private static void ThrowIfInvalid(PlProxyOptions options)
    {
        List<string> failures = PlProxyOptionsValidator.Failures(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }
    }

    private RemoteCall CallFor(PlProxyCommand command, bool returnsSet, string? resultPgType, bool isVoid)
    {
        ArgumentNullException.ThrowIfNull(command);
        return _commands.Get(command.Function, command.Body, command.Parameters(), returnsSet, resultPgType, isVoid);
    }
}
