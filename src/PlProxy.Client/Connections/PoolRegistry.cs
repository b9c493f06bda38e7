using Npgsql;

namespace PlProxy.Client.Connections;

/// <summary>
/// One pooled <see cref="NpgsqlDataSource"/> per distinct connection string (told apart by their canonical form,
/// <see cref="ConnectionStrings.Canonical"/>, not by how they are written), shared by every cluster that uses it and
/// counted: a pool whose last cluster was replaced is disposed once that cluster's in-flight calls have finished. A
/// pool under a connection cap has one <see cref="PartitionGate"/>, shared as the pool is. A pool of several hosts (a
/// primary and its standbys) has its <see cref="PartitionReplicas"/>: a pool per host, acquired here too, and a
/// connection pool of one per host for the standby monitor — one monitor per server (hosts and user), shared by the
/// partition databases on it, which runs while any of their pools is open and checks over one of them.
/// </summary>
internal sealed class PoolRegistry(PoolFactory factory)
{
    private readonly Dictionary<string, (NpgsqlDataSource Pool, int References)> _pools = new(StringComparer.Ordinal);
    private readonly Dictionary<NpgsqlDataSource, string> _keys = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NpgsqlDataSource, PartitionGate> _gates = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NpgsqlDataSource, PartitionReplicas> _replicas = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<string, StandbyMonitor> _monitors = new(StringComparer.Ordinal);
    private bool _disposed;

    /// <summary>
    /// The error a call meets once the <c>PlProxyDataSource</c> that owns the pools was disposed: at its start, while it
    /// waited for a connection, or when its next attempt found the pools closed.
    /// </summary>
    public static ObjectDisposedException Disposed() => new("PlProxy.Client.PlProxyDataSource");

    /// <summary>The number of open pools (for tests and telemetry).</summary>
    public int Count
    {
        get
        {
            lock (_pools)
            {
                return _pools.Count;
            }
        }
    }

    /// <summary>
    /// The pool for <paramref name="connectionString"/>, built for the given partition if it is the first to use it,
    /// its gate when <paramref name="cap"/> caps its connections (its slots are the pool's size; the round-trip size given
    /// last holds), and, for a string of several hosts, its replicas checked at the cadence <paramref name="standbys"/>
    /// gives (the first holds).
    /// </summary>
    public (NpgsqlDataSource Pool, PartitionGate? Gate, PartitionReplicas? Replicas) Acquire(
        string connectionString, string cluster, int partition, (int Slots, int MaxBatch)? cap = null, (TimeSpan CheckInterval, TimeSpan MaxLag)? standbys = null)
    {
        string key = ConnectionStrings.Canonical(connectionString);
        lock (_pools)
        {
            if (_disposed)
            {
                throw Disposed(); // a reconfiguration that raced the data source's disposal
            }

            NpgsqlDataSource pool;
            if (_pools.TryGetValue(key, out var entry))
            {
                _pools[key] = (entry.Pool, entry.References + 1);
                pool = entry.Pool;
            }
            else
            {
                pool = factory.Create(connectionString, cluster, partition);
                _pools.Add(key, (pool, 1));
                _keys.Add(pool, key);
            }

            if (_gates.TryGetValue(pool, out PartitionGate? gate) && cap is { } latest)
            {
                gate.MaxBatch = latest.MaxBatch; // a reloaded cluster keeps its pools: its new round-trip size applies to them
            }
            else if (cap is { } limits)
            {
                gate = new PartitionGate(limits.Slots, limits.MaxBatch, DatabaseName.Of(pool), DatabaseName.ServerOf(pool));
                _gates.Add(pool, gate);
            }

            if (!_replicas.TryGetValue(pool, out PartitionReplicas? replicas) && PartitionHosts.IsReplicated(connectionString))
            {
                (TimeSpan interval, TimeSpan maxLag) = standbys ?? (TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(1));
                ReplicaHost[] hosts = [.. PartitionHosts.Split(connectionString).Select(h =>
                {
                    (NpgsqlDataSource hostPool, PartitionGate? hostGate, _) = Acquire(h.ConnectionString, cluster, partition, cap);
                    var monitor = new NpgsqlConnectionStringBuilder(h.ConnectionString) { MinPoolSize = 0, MaxPoolSize = 1 };
                    return new ReplicaHost(h.Endpoint, hostPool, hostGate, factory.Create(monitor.ConnectionString, cluster, partition));
                })];
                string server = StandbyMonitor.ServerOf(hosts, connectionString);
                if (!_monitors.TryGetValue(server, out StandbyMonitor? monitor))
                {
                    monitor = new StandbyMonitor(server, interval, maxLag); // the first cadence given for a server holds
                    _monitors.Add(server, monitor);
                }

                replicas = new PartitionReplicas(pool, hosts, monitor);
                _replicas.Add(pool, replicas);
                monitor.Add(replicas);
                monitor.Start();
            }

            return (pool, gate, replicas);
        }
    }

    public void Release(NpgsqlDataSource pool)
    {
        lock (_pools)
        {
            if (!_keys.TryGetValue(pool, out string? key) || !_pools.TryGetValue(key, out var found))
            {
                return;
            }

            if (found.References > 1)
            {
                _pools[key] = (found.Pool, found.References - 1);
                return;
            }

            _pools.Remove(key);
            _keys.Remove(pool);
            _gates.Remove(pool);
            if (_replicas.Remove(pool, out PartitionReplicas? replicas))
            {
                // The monitor goes with its server's last partition database, on its own time; each host's pool goes
                // as any other pool does.
                if (replicas.Monitor.Remove(replicas))
                {
                    _monitors.Remove(replicas.Monitor.Server);
                    _ = replicas.Monitor.DisposeAsync().AsTask();
                }

                _ = replicas.DisposeAsync().AsTask();
                foreach (ReplicaHost host in replicas.Hosts)
                {
                    Release(host.Pool);
                }
            }
        }

        pool.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        List<NpgsqlDataSource> pools;
        List<PartitionReplicas> replicas;
        List<StandbyMonitor> monitors;
        List<PartitionGate> gates;
        lock (_pools)
        {
            _disposed = true;
            gates = [.. _gates.Values];
            pools = [.. _pools.Values.Select(e => e.Pool)];
            replicas = [.. _replicas.Values];
            monitors = [.. _monitors.Values];
            _monitors.Clear();
            _replicas.Clear();
            _pools.Clear();
            _keys.Clear();
            _gates.Clear();
        }

        foreach (PartitionGate gate in gates)
        {
            gate.Close(); // what waits for a connection fails now rather than when a slot comes free on a closed pool
        }

        foreach (StandbyMonitor monitor in monitors)
        {
            await monitor.DisposeAsync().ConfigureAwait(false);
        }

        foreach (PartitionReplicas replica in replicas)
        {
            await replica.DisposeAsync().ConfigureAwait(false);
        }

        foreach (NpgsqlDataSource pool in pools)
        {
            await pool.DisposeAsync().ConfigureAwait(false);
        }
    }
}
