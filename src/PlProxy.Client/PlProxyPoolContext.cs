using Npgsql;

namespace PlProxy.Client;

/// <summary>
/// A connection pool PlProxy.Client is about to build, given to <see cref="Configuration.PlProxyOptions.ConfigureNpgsql"/>
/// so the application can configure it as any Npgsql data source: a password or token provider
/// (<see cref="NpgsqlDataSourceBuilder.UsePeriodicPasswordProvider"/>), SSL callbacks, type plugins, logging.
/// </summary>
/// <remarks>
/// Partitions whose connection strings name one database with the same settings (however written: keys in another
/// order, libpq's form or Npgsql's) share one pool, so the hook runs once per pool, for the first cluster and partition
/// that uses it; the pool of a partition moved by a reconfiguration
/// is built, and configured, anew.
/// </remarks>
public sealed class PlProxyPoolContext
{
    internal PlProxyPoolContext(NpgsqlDataSourceBuilder builder, string? cluster, int? partition, bool isProxyDatabase)
    {
        Builder = builder;
        Cluster = cluster;
        Partition = partition;
        IsProxyDatabase = isProxyDatabase;
    }

    /// <summary>The builder of the pool; its connection string is already set.</summary>
    public NpgsqlDataSourceBuilder Builder { get; }

    /// <summary>The cluster of the partition the pool serves; null for a CONNECT target and for the proxy database.</summary>
    public string? Cluster { get; }

    /// <summary>The partition number the pool serves (its first, when several share a database); null for a CONNECT target and the proxy database.</summary>
    public int? Partition { get; }

    /// <summary>True for the pool of the proxy database that defines clusters (<see cref="Configuration.PlProxyOptions.ProxyDatabase"/>).</summary>
    public bool IsProxyDatabase { get; }
}
