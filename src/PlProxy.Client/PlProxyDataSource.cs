using System.Data.Common;
using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Execution;
using PlProxy.Client.Generated;
using PlProxy.Client.Planning;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client;

/// <summary>
/// The root of PlProxy.Client, like Npgsql's <see cref="NpgsqlDataSource"/>: it owns the clusters and one pooled
/// Npgsql data source per distinct connection string (shared by every cluster and function that uses it, as PL/Proxy
/// shares connections), creates the generated proxies, and runs bodies given as text. Long-lived and thread-safe;
/// disposing it disposes the pools.
/// </summary>
/// <remarks>
/// A cluster changes atomically: calls see the old or the new partition list, never a mix, and calls in flight
/// finish on the version they started with; pools no longer used by any cluster are disposed once those calls end.
/// </remarks>
public sealed class PlProxyDataSource : IAsyncDisposable, IDisposable
{
    private readonly PoolRegistry _pools = new();
    private readonly ConcurrentDictionary<string, NpgsqlDataSource> _connectPools = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ProxyMethod> _commandMethods = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _loading = new(StringComparer.Ordinal);
    private readonly object _swapLock = new();
    private readonly NpgsqlDataSource? _proxyDatabase;
    private readonly CancellationTokenSource _shutdown = new();
    private readonly Task? _polling;
    private readonly List<IDisposable> _attached = [];
    private Dictionary<string, ClusterRuntime> _clusters = new(StringComparer.Ordinal);
    private Dictionary<string, ClusterDefinition> _configured = new(StringComparer.Ordinal);
    private int _disposed;

    private PlProxyDataSource(IRandomSource random, string? proxyDatabase, TimeSpan pollInterval, ILoggerFactory? loggerFactory)
    {
        Random = random;
        Logger = loggerFactory?.CreateLogger(TelemetryNames.SourceName) ?? NullLogger.Instance;
        Executor = new CallExecutor(this);
        if (proxyDatabase is not null)
        {
            _proxyDatabase = NpgsqlDataSource.Create(ConnectionStrings.ToNpgsql(proxyDatabase));
            _polling = PollAsync(pollInterval, _shutdown.Token);
        }
    }

    internal IRandomSource Random { get; }

    internal ILogger Logger { get; }

    /// <summary>The executor that replaces Npgsql (tests), or null.</summary>
    internal IPartitionExecutor? PartitionExecutor { get; private init; }

    /// <summary>The per-host connection budget, or null when there is none.</summary>
    internal Resilience.ConnectionBudget? Budget { get; private init; }

    internal CallExecutor Executor { get; }

    /// <summary>Called with a cluster's name as a new version of it is built, before anything is published (a seam for tests).</summary>
    internal Action<string>? Building { get; set; }

    /// <summary>How many bound bodies given as text are kept; past that the cache starts again from empty.</summary>
    internal const int MaxCachedCommands = 1024;

    /// <summary>The number of bodies given as text whose binding is cached (for tests).</summary>
    internal int CachedCommandCount => _commandMethods.Count;

    /// <summary>The number of open connection pools (for tests).</summary>
    internal int PoolCount => _pools.Count + _connectPools.Count;

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
        var source = new PlProxyDataSource(random, options.ProxyDatabase, options.ProxyDatabasePollInterval, loggerFactory)
        {
            PartitionExecutor = executor,
            Budget = options.MaxConnectionsPerHost is { } budget ? new Resilience.ConnectionBudget(budget, options.ConnectionBudgetTimeout) : null,
        };
        try
        {
            source.Configure(options);
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
    public void Reconfigure(PlProxyOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ThrowIfInvalid(options);
        Configure(options);
    }

    /// <summary>
    /// Checks the proxy database's cluster versions now (besides the periodic check) and reloads every cluster whose
    /// version changed. PL/Proxy checks on every call; checking periodically saves a round trip per call at the
    /// price of seeing changes up to one interval late.
    /// </summary>
    /// <param name="cancellationToken">Cancels the check.</param>
    /// <returns>The number of clusters reloaded.</returns>
    public async Task<int> RefreshAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (_proxyDatabase is null)
        {
            return 0;
        }

        int reloaded = 0;
        foreach ((string name, ClusterRuntime cluster) in Volatile.Read(ref _clusters))
        {
            if (cluster.Version is null)
            {
                continue; // configured in code or configuration, not from the proxy database
            }

            string version = await ProxyDatabaseReader.VersionAsync(_proxyDatabase, name, cancellationToken).ConfigureAwait(false);
            if (version != cluster.Version)
            {
                await LoadFromProxyDatabaseAsync(name, cancellationToken).ConfigureAwait(false);
                reloaded++;
            }
        }

        return reloaded;
    }

    /// <summary>The generated implementation of <typeparamref name="TInterface"/> over this data source.</summary>
    /// <typeparam name="TInterface">An interface marked <see cref="PlProxyAttribute"/>.</typeparam>
    /// <returns>The proxy.</returns>
    /// <exception cref="InvalidOperationException">No implementation was generated for the interface.</exception>
    public TInterface CreateProxy<TInterface>()
        where TInterface : class
    {
        ThrowIfDisposed();
        Func<PlProxyDataSource, TInterface> factory = ProxyFactory.Find<TInterface>()
            ?? throw new InvalidOperationException(
                $"No PL/Proxy implementation was generated for {typeof(TInterface).FullName}. Mark the interface with [PlProxy] and make sure its project references the PlProxy.Client package, which brings the source generator.");
        return factory(this);
    }

    /// <summary>Runs a body given as text and returns its single value (exactly one row, PL/Proxy's rule).</summary>
    /// <typeparam name="T">The result type (a scalar).</typeparam>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>The value; default when it is NULL.</returns>
    public Task<T?> ExecuteScalarAsync<T>(PlProxyCommand command, CancellationToken cancellationToken = default)
    {
        ProxyMethod method = MethodFor(command, returnsSet: false, PgTypeNames.Of(typeof(T)), isVoid: false);
        return Executor.SingleAsync(method, command.Values(), static r => r.IsDBNull(0) ? default : r.GetFieldValue<T>(0), cancellationToken);
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
        return Executor.ListAsync(MethodFor(command, returnsSet: true, resultPgType: null, isVoid: false), command.Values(), read, cancellationToken);
    }

    /// <summary>Runs a body given as text for its effect.</summary>
    /// <param name="command">The function, body and arguments.</param>
    /// <param name="cancellationToken">Cancels the remote statements.</param>
    /// <returns>A task that completes when the call has run.</returns>
    public Task ExecuteAsync(PlProxyCommand command, CancellationToken cancellationToken = default) =>
        Executor.SingleAsync(MethodFor(command, returnsSet: false, resultPgType: null, isVoid: true), command.Values(), static _ => true, cancellationToken);

    /// <summary>Stops the proxy database polling and disposes every connection pool.</summary>
    /// <returns>A task that completes when the pools are closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _shutdown.CancelAsync().ConfigureAwait(false);
        lock (_attached)
        {
            foreach (IDisposable attached in _attached)
            {
                attached?.Dispose();
            }
        }

        if (_polling is not null)
        {
            await _polling.ConfigureAwait(false);
        }

        await _pools.DisposeAsync().ConfigureAwait(false);
        foreach (NpgsqlDataSource pool in _connectPools.Values)
        {
            await pool.DisposeAsync().ConfigureAwait(false);
        }

        if (_proxyDatabase is not null)
        {
            await _proxyDatabase.DisposeAsync().ConfigureAwait(false);
        }

        _shutdown.Dispose();
    }

    /// <summary>Stops the proxy database polling and disposes every connection pool.</summary>
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

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed != 0, this);

    /// <summary>The current version of a cluster, with a lease the caller must release when its call ends.</summary>
    internal async ValueTask<ClusterRuntime> AcquireClusterAsync(string name, ProxyMethod method, CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfDisposed();
            if (Volatile.Read(ref _clusters).TryGetValue(name, out ClusterRuntime? cluster))
            {
                if (cluster.TryAcquire())
                {
                    return cluster;
                }

                continue; // replaced and released meanwhile: take the new version
            }

            if (_proxyDatabase is null)
            {
                throw new PlProxyException($"{method.DisplayName}: no such cluster: {name}") { Cluster = name, Function = method.Function.Signature.Name };
            }

            try
            {
                await LoadFromProxyDatabaseAsync(name, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e)
            {
                throw new PlProxyException($"{method.DisplayName}: no such cluster: {name} (proxy database: {e.MessageText})", e.SqlState, e)
                {
                    Cluster = name,
                    Function = method.Function.Signature.Name,
                };
            }
        }
    }

    /// <summary>The shared pool for a CONNECT target.</summary>
    internal NpgsqlDataSource DataSourceFor(string connectionString)
    {
        ThrowIfDisposed();
        return _connectPools.GetOrAdd(connectionString, static cs =>
        {
            try
            {
                return NpgsqlDataSource.Create(ConnectionStrings.ForPartition(cs, new PlProxyClusterOptions()));
            }
            catch (ArgumentException e)
            {
                // Npgsql names the offending keyword; the connection string itself (and its password) stays out.
                throw new PlProxyException($"CONNECT: an invalid connection string: {e.Message}");
            }
        });
    }

    private static void ThrowIfInvalid(PlProxyOptions options)
    {
        List<string> failures = PlProxyOptionsValidator.Failures(options);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", failures), nameof(options));
        }
    }

    // Compares with what is serving, builds every changed cluster, then swaps them in at once: nothing is
    // half-applied. The whole of it is one critical section, so overlapping reconfigurations (a reload and a manual
    // call) apply one after the other: the result is always exactly one caller's request, and the recorded options
    // are always those serving. Building opens nothing (pools connect on first use), so the lock is held briefly.
    private void Configure(PlProxyOptions options)
    {
        var retired = new List<ClusterRuntime>();
        Dictionary<string, ClusterDefinition> definitions = options.Clusters.ToDictionary(c => c.Key, c => ClusterDefinition.Of(c.Value), StringComparer.Ordinal);
        lock (_swapLock)
        {
            var built = new Dictionary<string, ClusterRuntime>(StringComparer.Ordinal);
            try
            {
                foreach ((string name, PlProxyClusterOptions cluster) in options.Clusters)
                {
                    if (!(_configured.TryGetValue(name, out ClusterDefinition? previous) && previous == definitions[name]))
                    {
                        built.Add(name, Build(name, cluster, version: null));
                    }
                }
            }
            catch
            {
                foreach (ClusterRuntime runtime in built.Values)
                {
                    runtime.Retire();
                }

                throw;
            }

            var next = new Dictionary<string, ClusterRuntime>(_clusters, StringComparer.Ordinal);
            foreach (string name in _configured.Keys.Where(n => !options.Clusters.ContainsKey(n)))
            {
                if (next.Remove(name, out ClusterRuntime? removed))
                {
                    retired.Add(removed);
                }
            }

            foreach ((string name, ClusterRuntime runtime) in built)
            {
                if (next.TryGetValue(name, out ClusterRuntime? old))
                {
                    retired.Add(old);
                }

                next[name] = runtime;
            }

            _configured = definitions;
            Volatile.Write(ref _clusters, next);
        }

        foreach (ClusterRuntime old in retired)
        {
            old.Retire();
        }
    }

    private async Task LoadFromProxyDatabaseAsync(string name, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = _loading.GetOrAdd(name, static _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ProxyClusterDefinition definition = await ProxyDatabaseReader.LoadAsync(_proxyDatabase!, name, cancellationToken).ConfigureAwait(false);
            if (Volatile.Read(ref _clusters).TryGetValue(name, out ClusterRuntime? current) && current.Version == definition.Version)
            {
                return; // another caller loaded this version meanwhile
            }

            List<string> failures = [.. PlProxyOptionsValidator.ClusterFailures(name, definition.Options)];
            if (failures.Count > 0)
            {
                throw new PlProxyException($"The proxy database's definition of cluster '{name}' is invalid: {string.Join(" ", failures)}") { Cluster = name };
            }

            ClusterRuntime runtime = Build(name, definition.Options, definition.Version);
            ClusterRuntime? old;
            lock (_swapLock)
            {
                var next = new Dictionary<string, ClusterRuntime>(_clusters, StringComparer.Ordinal);
                next.TryGetValue(name, out old);
                next[name] = runtime;
                Volatile.Write(ref _clusters, next);
            }

            old?.Retire();
            Log.ClusterReloaded(Logger, name, definition.Version);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task PollAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The proxy database is unreachable or returned garbage: keep serving the versions we have.
                    Log.RefreshFailed(Logger, e);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private ClusterRuntime Build(string name, PlProxyClusterOptions options, string? version)
    {
        Building?.Invoke(name);
        var layout = new ClusterLayout(
            name,
            [.. options.Partitions],
            options.ModularMapping ? PartitionMapping.Modular : PartitionMapping.Mask,
            options.HashFlavor == PlProxyHashFlavor.Legacy83 ? HashFlavor.Legacy83 : HashFlavor.Modern,
            options.CaseMapping == PlProxyCaseMapping.CLocale ? CaseMapping.CLocale : CaseMapping.AsciiOnly);
        var pools = new NpgsqlDataSource[layout.ConnectionCount];
        var pipelines = new Polly.ResiliencePipeline[layout.ConnectionCount];
        for (int connection = 0; connection < pools.Length; connection++)
        {
            pools[connection] = _pools.Acquire(ConnectionStrings.ForPartition(layout.ConnectionString(connection), options));
            pipelines[connection] = Resilience.PartitionPipeline.Build(name, layout.FirstPartitionOf(connection), Execution.DatabaseName.Of(pools[connection]), options.Retry, options.CircuitBreaker, Logger);
        }

        return new ClusterRuntime(layout, pools, pipelines, _pools, options.QueryTimeout, version, signalsBackends: options.Pooler == PlProxyPooler.None);
    }

    private ProxyMethod MethodFor(PlProxyCommand command, bool returnsSet, string? resultPgType, bool isVoid)
    {
        ArgumentNullException.ThrowIfNull(command);
        ProxyParameter[] parameters = command.Parameters();
        string key = $"{command.Function}\u0001{command.Body}\u0001{string.Join(",", parameters)}\u0001{returnsSet}{resultPgType}{isVoid}";
        if (_commandMethods.Count >= MaxCachedCommands && !_commandMethods.ContainsKey(key))
        {
            _commandMethods.Clear(); // bounded: bodies made up per call must not grow the cache for the data source's life
        }

        return _commandMethods.GetOrAdd(key, _ =>
        {
            try
            {
                return ProxyMethod.Create(command.Function, null, command.Body, false, parameters, returnsSet, resultPgType, isVoid, []);
            }
            catch (InvalidOperationException e)
            {
                throw new ArgumentException(e.Message, nameof(command));
            }
        });
    }
}
