using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;
using Polly;
using Polly.CircuitBreaker;

namespace PlProxy.Client.Clusters;

/// <summary>
/// One version of a cluster, ready for calls: its layout, a pool per distinct connection and its options. Calls hold a
/// lease for their whole duration; a replaced version is retired, and its pools are released when its last lease ends,
/// so in-flight calls finish on the snapshot they started with. A CONNECT target is a cluster of one partition, as
/// PL/Proxy models it (<c>fake_cluster</c>), so a call runs the same way wherever it goes.
/// </summary>
internal sealed class ClusterSnapshot
{
    private readonly NpgsqlDataSource[] _pools;
    private readonly ResiliencePipeline?[] _pipelines;
    private readonly PoolRegistry? _registry;
    private int _leases; // -1 once released
    private int _retired;
    private long _lastUsed; // a CONNECT target's last acquisition (Stopwatch ticks)

    public ClusterSnapshot(ClusterLayout layout, NpgsqlDataSource[] pools, ResiliencePipeline?[] pipelines, PoolRegistry? registry, TimeSpan? queryTimeout, string? version, bool signalsBackends)
    {
        Layout = layout;
        _pools = pools;
        _pipelines = pipelines;
        _registry = registry;
        QueryTimeout = queryTimeout;
        Version = version;
        SignalsBackends = signalsBackends;
    }

    /// <summary>A CONNECT target: one database, no cluster name, no query_timeout; retired (its pool closed) once unused for a while.</summary>
    public static ClusterSnapshot ConnectTarget(string connectionString, NpgsqlDataSource pool, PartitionGate gate, TimeSpan? longCallThreshold) =>
        new(new ClusterLayout(ConnectTargetName, [connectionString]), [pool], [PartitionPipeline.Direct], registry: null, queryTimeout: null, version: null, signalsBackends: false)
        {
            IsConnectTarget = true,
            Gates = [gate],
            CoalescesCalls = true,
            LongCallMilliseconds = longCallThreshold?.TotalMilliseconds ?? double.PositiveInfinity,
            LastUsed = System.Diagnostics.Stopwatch.GetTimestamp(), // new, not idle: no sweep takes it before its first call does
        };

    private const string ConnectTargetName = "(connect)";

    public ClusterLayout Layout { get; }

    /// <summary>Each connection's circuit breaker state, where a breaker is on (for the health check).</summary>
    public CircuitBreakerStateProvider?[] Breakers { get; init; } = [];

    /// <summary>True for a CONNECT target rather than a cluster.</summary>
    public bool IsConnectTarget { get; private init; }

    /// <summary>Whether a newer version replaced this one.</summary>
    public bool IsRetired => Volatile.Read(ref _retired) != 0;

    /// <summary>True when no call holds a lease on this version now.</summary>
    public bool IsIdle => Volatile.Read(ref _leases) == 0;

    /// <summary>When a CONNECT target was last acquired (<see cref="System.Diagnostics.Stopwatch"/> ticks).</summary>
    public long LastUsed
    {
        get => Volatile.Read(ref _lastUsed);
        set => Volatile.Write(ref _lastUsed, value);
    }

    /// <summary>The cluster's name, or null for a CONNECT target.</summary>
    public string? Name => IsConnectTarget ? null : Layout.Name;

    public TimeSpan? QueryTimeout { get; }

    /// <summary>The proxy database's version of the definition, when it came from one.</summary>
    public string? Version { get; }

    /// <summary>
    /// True when the partitions are reached directly (no pooler in between), so a connection's process ID is its
    /// backend's and a statement left running can be signalled by it (the executor does so when a call leaves a statement running).
    /// </summary>
    public bool SignalsBackends { get; }

    public NpgsqlDataSource DataSource(int connection) => _pools[connection];

    /// <summary>Each connection's gate, where its connections are capped (<see cref="Configuration.PlProxyClusterOptions.MaxConnectionsPerPartition"/>).</summary>
    public PartitionGate?[] Gates { private get; init; } = [];

    /// <summary>Each connection's primary and standbys, where its connection string names several hosts.</summary>
    public PartitionReplicas?[] Replicas { private get; init; } = [];

    /// <summary>What this version listens to on its replicas (its breakers closed by a new primary), let go with its pools.</summary>
    public (PartitionReplicas Replicas, Action Handler)[] ReplicaSubscriptions { private get; init; } = [];

    /// <summary>How calls marked to read from a standby choose one.</summary>
    public StandbyReads Standbys { get; init; } = StandbyReads.Default;

    /// <summary>The primary and standbys of connection <paramref name="connection"/>, or null when it names one host.</summary>
    public PartitionReplicas? ReplicasOf(int connection) => connection < Replicas.Length ? Replicas[connection] : null;

    /// <summary>Whether calls that wait for a connection share a round trip (<see cref="Configuration.PlProxyClusterOptions.CoalesceCalls"/>).</summary>
    public bool CoalescesCalls { get; init; }

    /// <summary>A function whose statements take at least this long stops sharing round trips (infinite: never).</summary>
    public double LongCallMilliseconds { get; init; } = double.PositiveInfinity;

    /// <summary>The gate of connection <paramref name="connection"/>, or null when its connections are not capped.</summary>
    public PartitionGate? Gate(int connection) => connection < Gates.Length ? Gates[connection] : null;

    /// <summary>The retry and circuit breaker pipeline of connection <paramref name="connection"/>.</summary>
    public ResiliencePipeline? Pipeline(int connection) => _pipelines[connection];

    /// <summary>Takes a lease; false when this version was retired and released meanwhile (take the current one).</summary>
    public bool TryAcquire()
    {
        while (true)
        {
            int leases = Volatile.Read(ref _leases);
            if (leases < 0)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _leases, leases + 1, leases) == leases)
            {
                return true;
            }
        }
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0 && Volatile.Read(ref _retired) != 0)
        {
            ReleasePoolsIfIdle();
        }
    }

    /// <summary>Marks this version replaced; its pools go once no call holds it.</summary>
    public void Retire()
    {
        if (Interlocked.Exchange(ref _retired, 1) == 0)
        {
            ReleasePoolsIfIdle();
        }
    }

    private void ReleasePoolsIfIdle()
    {
        if (Interlocked.CompareExchange(ref _leases, -1, 0) == 0)
        {
            foreach ((PartitionReplicas replicas, Action handler) in ReplicaSubscriptions)
            {
                replicas.PrimaryChanged -= handler;
            }

            foreach (NpgsqlDataSource pool in _pools) // one release per acquisition
            {
                if (_registry is not null)
                {
                    _registry.Release(pool);
                }
                else if (IsConnectTarget)
                {
                    pool.Dispose(); // a CONNECT target's pool is its own
                }
            }
        }
    }
}
