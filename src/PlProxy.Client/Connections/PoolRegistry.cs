using Npgsql;

namespace PlProxy.Client.Connections;

/// <summary>
/// One pooled <see cref="NpgsqlDataSource"/> per distinct connection string, shared by every cluster that uses it and
/// counted: a pool whose last cluster was replaced is disposed once that cluster's in-flight calls have finished. A
/// pool under a connection cap has one <see cref="PartitionGate"/>, shared as the pool is.
/// </summary>
internal sealed class PoolRegistry(PoolFactory factory)
{
    private readonly Dictionary<string, (NpgsqlDataSource Pool, int References)> _pools = new(StringComparer.Ordinal);
    private readonly Dictionary<NpgsqlDataSource, string> _keys = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<NpgsqlDataSource, PartitionGate> _gates = new(ReferenceEqualityComparer.Instance);
    private bool _disposed;

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
    /// and its gate when <paramref name="cap"/> caps its connections (the first cap given for a pool holds).
    /// </summary>
    public (NpgsqlDataSource Pool, PartitionGate? Gate) Acquire(string connectionString, string cluster, int partition, (int Slots, int MaxBatch)? cap = null)
    {
        lock (_pools)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_pools.TryGetValue(connectionString, out var entry))
            {
                _pools[connectionString] = (entry.Pool, entry.References + 1);
                if (!_gates.TryGetValue(entry.Pool, out PartitionGate? gate) && cap is { } added)
                {
                    gate = new PartitionGate(added.Slots, added.MaxBatch, DatabaseName.Of(entry.Pool), DatabaseName.ServerOf(entry.Pool));
                    _gates.Add(entry.Pool, gate);
                }

                return (entry.Pool, gate);
            }

            NpgsqlDataSource pool = factory.Create(connectionString, cluster, partition);
            _pools.Add(connectionString, (pool, 1));
            _keys.Add(pool, connectionString);
            PartitionGate? created = null;
            if (cap is { } limits)
            {
                created = new PartitionGate(limits.Slots, limits.MaxBatch, DatabaseName.Of(pool), DatabaseName.ServerOf(pool));
                _gates.Add(pool, created);
            }

            return (pool, created);
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
        }

        pool.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        List<NpgsqlDataSource> pools;
        lock (_pools)
        {
            _disposed = true;
            pools = [.. _pools.Values.Select(e => e.Pool)];
            _pools.Clear();
            _keys.Clear();
            _gates.Clear();
        }

        foreach (NpgsqlDataSource pool in pools)
        {
            await pool.DisposeAsync().ConfigureAwait(false);
        }
    }
}
