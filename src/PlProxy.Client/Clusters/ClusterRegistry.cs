using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Connections;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Clusters;

/// <summary>
/// The clusters a data source serves and the pools under them: builds each version of a cluster, swaps versions in
/// atomically, hands out leases on the current one, and keeps one pool per database and settings (shared by every
/// cluster and CONNECT target that names it, however its connection string is written).
/// </summary>
internal sealed class ClusterRegistry : IAsyncDisposable
{
    private readonly PoolFactory _poolFactory;
    private readonly PoolRegistry _pools;
    private readonly ConcurrentDictionary<string, ClusterSnapshot> _connectTargets = new(StringComparer.Ordinal);
    private long _nextIdleSweep;
    private readonly object _swapLock = new();
    private readonly ILogger _logger;
    private readonly ILogger _resilienceLogger;
    private Dictionary<string, ClusterSnapshot> _clusters = new(StringComparer.Ordinal);
    private Dictionary<string, ClusterDefinition> _configured = new(StringComparer.Ordinal);
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public ClusterRegistry(string? proxyDatabase, TimeSpan pollInterval, ILogger logger, PoolFactory? poolFactory = null, PlProxyClusterOptions? proxyDatabaseClusters = null, ILogger? resilienceLogger = null)
    {
        _logger = logger;
        _resilienceLogger = resilienceLogger ?? logger;
        _poolFactory = poolFactory ?? PoolFactory.Default;
        _pools = new PoolRegistry(_poolFactory);
        if (proxyDatabase is not null)
        {
            ProxyDatabase = new ProxyDatabaseSource(this, _poolFactory.Create(ConnectionStrings.ForProxyDatabase(proxyDatabase), isProxyDatabase: true), pollInterval, logger, proxyDatabaseClusters);
        }
    }

    /// <summary>What configures each partition's Polly pipeline builder (<see cref="PlProxyOptions.ConfigureResilience"/>).</summary>
    public Action<Polly.ResiliencePipelineBuilder>? ConfigureResilience { get; init; }

    /// <summary>The proxy database that defines clusters not configured in code, or null.</summary>
    public ProxyDatabaseSource? ProxyDatabase { get; }

    /// <summary>Called with a cluster's name as a new version of it is built, before anything is published (a seam for tests).</summary>
    public Action<string>? Building { get; set; }

    /// <summary>The versions serving now, by cluster name.</summary>
    public IReadOnlyDictionary<string, ClusterSnapshot> Current => Volatile.Read(ref _clusters);

    /// <summary>Completes when a new version of any cluster is swapped in: a fenced call waits on it rather than sleeping its pause out.</summary>
    public Task Changed => Volatile.Read(ref _changed).Task;

    /// <summary>The number of open connection pools.</summary>
    public int PoolCount => _pools.Count + _connectTargets.Count;

    public void ThrowIfDisposed()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            throw PoolRegistry.Disposed();
        }
    }

    /// <summary>The current version of a cluster, with a lease the caller must release when its call ends.</summary>
    /// <param name="name">The cluster name.</param>
    /// <param name="errors">Where a "no such cluster" error arises (the call, or the warm-up).</param>
    /// <param name="cancellationToken">Cancels loading it from the proxy database.</param>
    public async ValueTask<ClusterSnapshot> AcquireAsync(string name, CallErrorContext errors, CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfDisposed();
            if (Volatile.Read(ref _clusters).TryGetValue(name, out ClusterSnapshot? cluster))
            {
                if (cluster.TryAcquire())
                {
                    return cluster;
                }

                continue; // replaced and released meanwhile: take the new version
            }

            if (ProxyDatabase is null)
            {
                throw errors.Error($"no such cluster: {name}");
            }

            try
            {
                await ProxyDatabase.LoadAsync(name, cancellationToken, unlessServing: true).ConfigureAwait(false);
            }
            catch (PostgresException e)
            {
                throw errors.Error($"no such cluster: {name} (proxy database: {e.MessageText})", e.SqlState, e);
            }
            catch (ClusterNotDefinedException e)
            {
                throw errors.Error($"no such cluster: {name} (proxy database: {e.Message})", PostgresErrorCodes.UndefinedObject, e);
            }
        }
    }

    /// <summary>
    /// Brings a cluster's map up to date after a partition fenced a call made on it: a cluster from the proxy database
    /// is read again at once (a new version is published if there is one); a configured cluster changes when the
    /// application's configuration does (an options reload publishes it), so there is nothing to read. A proxy
    /// database that cannot be read is logged and leaves the map as it is, as for a notified change.
    /// </summary>
    public Task RefreshAsync(string name, CancellationToken cancellationToken) =>
        ProxyDatabase?.ReloadAsync(name, cancellationToken) ?? Task.CompletedTask;

    /// <summary>Loads each cluster (from the proxy database, if it is not configured) without calling anything.</summary>
    public async Task WarmUpAsync(IEnumerable<string> names, string displayName, CancellationToken cancellationToken)
    {
        foreach (string name in names)
        {
            ClusterSnapshot cluster = await AcquireAsync(name, new CallErrorContext(displayName, null, name), cancellationToken).ConfigureAwait(false);
            cluster.Release();
        }
    }

    /// <summary>
    /// A CONNECT target (a cluster of one partition over the shared pool for its connection string), with a lease the
    /// caller releases when its call ends, as for a cluster. Its connections are those of a partition with the default
    /// options: at most <see cref="PlProxyClusterOptions.MaxConnectionsPerPartition"/>'s default, calls that wait for
    /// them coalesced into shared round trips.
    /// </summary>
    /// <exception cref="PlProxyException">The connection string cannot be read; the message names the keyword, never a value.</exception>
    public ClusterSnapshot AcquireConnectTarget(string connectionString)
    {
        ThrowIfDisposed();
        while (true)
        {
            ClusterSnapshot target = ConnectTarget(connectionString);
            if (target.TryAcquire())
            {
                target.LastUsed = Stopwatch.GetTimestamp();
                RetireIdleConnectTargets(target.LastUsed);
                return target;
            }

            _connectTargets.TryRemove(new KeyValuePair<string, ClusterSnapshot>(connectionString, target)); // retired meanwhile: made anew
        }
    }

    /// <summary>
    /// How long a CONNECT target may go without a call before it is retired and its pool closed (made again when a call
    /// names it): a method that connects to a database per tenant does not keep a pool for every tenant it ever named.
    /// </summary>
    internal TimeSpan ConnectTargetIdleLifetime { get; set; } = TimeSpan.FromMinutes(5);

    // At most every tenth of the idle lifetime (on the call that comes next): every CONNECT target unused for the
    // lifetime and held by no call leaves the map and is retired; a call that took it meanwhile keeps its pool until it
    // ends, and later calls make the target again.
    private void RetireIdleConnectTargets(long now)
    {
        long lifetime = (long)(ConnectTargetIdleLifetime.TotalSeconds * Stopwatch.Frequency);
        long due = Volatile.Read(ref _nextIdleSweep);
        if (now < due || Interlocked.CompareExchange(ref _nextIdleSweep, now + (lifetime / 10), due) != due)
        {
            return;
        }

        foreach ((string connectionString, ClusterSnapshot target) in _connectTargets)
        {
            if (now - target.LastUsed > lifetime && target.IsIdle && _connectTargets.TryRemove(new KeyValuePair<string, ClusterSnapshot>(connectionString, target)))
            {
                target.Retire();
            }
        }
    }

    private ClusterSnapshot ConnectTarget(string connectionString) =>
        _connectTargets.GetOrAdd(connectionString, static (cs, factory) =>
        {
            try
            {
                var defaults = new PlProxyClusterOptions();
                string target = ConnectionStrings.ForPartition(cs, PartitionConnectionSettings.None with { MaxPoolSize = defaults.MaxConnectionsPerPartition });
                NpgsqlDataSource pool = factory.Create(target);
                var gate = new PartitionGate(ConnectionStrings.PoolSize(target), defaults.MaxCallsPerRoundTrip, DatabaseName.Of(pool), DatabaseName.ServerOf(pool));
                return ClusterSnapshot.ConnectTarget(cs, pool, gate, defaults.LongCallThreshold);
            }
            catch (ArgumentException e)
            {
                // Npgsql names the offending keyword; the connection string itself (and its password) stays out.
                throw new PlProxyException($"CONNECT: an invalid connection string: {e.Message}");
            }
        }, _poolFactory);

    // Compares with what is serving, builds every changed cluster, then swaps them in at once: nothing is
    // half-applied. The whole of it is one critical section, so overlapping reconfigurations (a reload and a manual
    // call) apply one after the other: the result is always exactly one caller's request, and the recorded options
    // are always those serving. Building opens nothing (pools connect on first use), so the lock is held briefly.
    /// <summary>Serves the clusters of <paramref name="options"/> (validated): changed ones replaced, new ones added, missing ones removed.</summary>
    public void Configure(PlProxyOptions options)
    {
        var retired = new List<ClusterSnapshot>();
        Dictionary<string, ClusterDefinition> definitions = options.Clusters.ToDictionary(c => c.Key, c => ClusterDefinition.Of(c.Value), StringComparer.Ordinal);
        lock (_swapLock)
        {
            var built = new Dictionary<string, ClusterSnapshot>(StringComparer.Ordinal);
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
                foreach (ClusterSnapshot snapshot in built.Values)
                {
                    snapshot.Retire();
                }

                throw;
            }

            var next = new Dictionary<string, ClusterSnapshot>(_clusters, StringComparer.Ordinal);
            foreach (string name in _configured.Keys.Where(n => !options.Clusters.ContainsKey(n)))
            {
                if (next.Remove(name, out ClusterSnapshot? removed))
                {
                    retired.Add(removed);
                }
            }

            foreach ((string name, ClusterSnapshot snapshot) in built)
            {
                if (next.TryGetValue(name, out ClusterSnapshot? old))
                {
                    retired.Add(old);
                }

                next[name] = snapshot;
            }

            bool reload = _configured.Count > 0;
            _configured = definitions;
            Volatile.Write(ref _clusters, next);
            if (reload)
            {
                foreach (string name in built.Keys)
                {
                    Log.ClusterReloaded(_logger, name, "configuration"); // as the proxy database's reloads are logged
                }
            }
        }

        SignalChanged();

        foreach (ClusterSnapshot old in retired)
        {
            old.Retire();
        }
    }

    /// <summary>Builds a version of one cluster (validated) and swaps it in; the version it replaces is retired.</summary>
    public void Publish(string name, PlProxyClusterOptions options, string version)
    {
        ClusterSnapshot snapshot = Build(name, options, version);
        ClusterSnapshot? old;
        lock (_swapLock)
        {
            var next = new Dictionary<string, ClusterSnapshot>(_clusters, StringComparer.Ordinal);
            next.TryGetValue(name, out old);
            next[name] = snapshot;
            Volatile.Write(ref _clusters, next);
        }

        old?.Retire();
        SignalChanged();
    }

    private void SignalChanged() =>
        Interlocked.Exchange(ref _changed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>Stops the proxy database's polling and disposes every pool.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (ProxyDatabase is not null)
        {
            await ProxyDatabase.DisposeAsync().ConfigureAwait(false);
        }

        await _pools.DisposeAsync().ConfigureAwait(false);
        foreach (ClusterSnapshot target in _connectTargets.Values)
        {
            target.Gate(0)?.Close();
            await target.DataSource(0).DisposeAsync().ConfigureAwait(false);
        }
    }

    private ClusterSnapshot Build(string name, PlProxyClusterOptions options, string? version)
    {
        Building?.Invoke(name);
        var layout = new ClusterLayout(
            name,
            [.. options.Partitions],
            options.ModularMapping ? PartitionMapping.Modular : PartitionMapping.Mask,
            options.HashFlavor == PlProxyHashFlavor.Legacy83 ? HashFlavor.Legacy83 : HashFlavor.Modern,
            options.CaseMapping switch
            {
                PlProxyCaseMapping.CLocale => CaseMapping.CLocale,
                PlProxyCaseMapping.Turkic => CaseMapping.Turkic,
                _ => CaseMapping.AsciiOnly,
            },
            Hashing.ServerEncodings.OtherThanUtf8(options.ProxyDatabaseEncoding));
        PartitionConnectionSettings settings = options.ConnectionSettings();
        var pools = new NpgsqlDataSource[layout.ConnectionCount];
        var pipelines = new Polly.ResiliencePipeline?[layout.ConnectionCount];
        var breakers = new Polly.CircuitBreaker.CircuitBreakerStateProvider?[layout.ConnectionCount];
        var gates = new PartitionGate?[layout.ConnectionCount];
        var replicas = new PartitionReplicas?[layout.ConnectionCount];
        var subscriptions = new List<(PartitionReplicas, Action)>();
        for (int connection = 0; connection < pools.Length; connection++)
        {
            breakers[connection] = options.CircuitBreaker.Enabled ? new Polly.CircuitBreaker.CircuitBreakerStateProvider() : null;
            string partition = ConnectionStrings.ForPartition(layout.ConnectionString(connection), settings);
            // The pool is sized to the cap, or smaller (MaxPoolSize, or the string's own): a pool smaller than the cap is
            // the cap, so calls never hold slots the pool cannot give a connection for.
            (int, int)? cap = options.MaxConnectionsPerPartition is not null ? (ConnectionStrings.PoolSize(partition), options.MaxCallsPerRoundTrip) : null;
            (pools[connection], gates[connection], replicas[connection]) = _pools.Acquire(
                partition, name, layout.FirstPartitionOf(connection), cap, (options.StandbyCheckInterval, options.MaxStandbyLag));
            // A failover opens the breaker (the old primary refuses connections); the new primary closes it.
            Polly.CircuitBreaker.CircuitBreakerManualControl? control = replicas[connection] is { } replicated && options.CircuitBreaker.Enabled ? new() : null;
            if (control is not null)
            {
                Action closeBreaker = () => _ = control.CloseAsync();
                replicas[connection]!.PrimaryChanged += closeBreaker;
                subscriptions.Add((replicas[connection]!, closeBreaker));
            }

            pipelines[connection] = PartitionPipeline.Build(name, layout.FirstPartitionOf(connection), DatabaseName.Of(pools[connection]), options.Retry, options.CircuitBreaker, _resilienceLogger, breakers[connection], control, ConfigureResilience);
        }

        return new ClusterSnapshot(layout, pools, pipelines, _pools, options.QueryTimeout, version, signalsBackends: options.Pooler == PlProxyPooler.None)
        {
            Breakers = breakers,
            Gates = gates,
            Replicas = replicas,
            ReplicaSubscriptions = [.. subscriptions],
            Standbys = new StandbyReads(options.MaxStandbyLag, options.ReadYourWrites),
            CoalescesCalls = options.CoalesceCalls,
            LongCallMilliseconds = options.LongCallThreshold?.TotalMilliseconds ?? double.PositiveInfinity,
        };
    }
}
