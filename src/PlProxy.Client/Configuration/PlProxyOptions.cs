namespace PlProxy.Client.Configuration;

/// <summary>The clusters PlProxy.Client routes calls to.</summary>
public sealed class PlProxyOptions
{
    /// <summary>The clusters by name (names compare ordinally, as PL/Proxy compares them).</summary>
    public IDictionary<string, PlProxyClusterOptions> Clusters { get; } = new Dictionary<string, PlProxyClusterOptions>(StringComparer.Ordinal);

    /// <summary>
    /// An existing PL/Proxy proxy database whose cluster definitions (configuration functions or SQL/MED servers) are
    /// used for clusters not configured here; null for none.
    /// </summary>
    public string? ProxyDatabase { get; set; }

    /// <summary>How often the proxy database's cluster versions are checked; a changed version reloads that cluster. Default: 30 s.</summary>
    public TimeSpan ProxyDatabasePollInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The client's own settings for every cluster read from <see cref="ProxyDatabase"/>, which says only its partitions
    /// and PL/Proxy's settings: the connection cap and coalescing, pool sizes, pooler, keepalive, hash flavor, case
    /// mapping, retries and circuit breaker. Its partitions are ignored.
    /// </summary>
    public PlProxyClusterOptions ProxyDatabaseClusters { get; } = new();

    /// <summary>
    /// The connection budget: at most this many partition calls in flight per database host (host and port), across
    /// every cluster and partition on it; further calls queue in arrival order. Fan-out multiplies connections (RUN ON
    /// ALL over 16 partitions from 100 callers would need 1,600), so a budget keeps a host below its max_connections.
    /// Each partition database's own cap is its cluster's <see cref="PlProxyClusterOptions.MaxConnectionsPerPartition"/>.
    /// Default: none.
    /// </summary>
    public int? MaxConnectionsPerHost { get; set; }

    /// <summary>
    /// How long a call may wait for the connection budget, or for one of its partition database's connections
    /// (<see cref="PlProxyClusterOptions.MaxConnectionsPerPartition"/>), before it fails (SQLSTATE 53300). Default: 15 s.
    /// </summary>
    public TimeSpan ConnectionBudgetTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a call refused by a partition's partconf fence (SQLSTATE PX001: the key belongs to another database,
    /// or is being moved) keeps being re-planned on a refreshed partition map and sent again before it fails as a
    /// stale map. The refusal comes before any write, so sending again is safe. Zero fails at the first refusal.
    /// Default: 5 s.
    /// </summary>
    public TimeSpan FencedCallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>What a configuration section gave that the binder took silently (<see cref="BoundSectionCheck"/>): one sentence each, reported by validation.</summary>
    internal List<string> BindingProblems { get; } = [];

    /// <summary>
    /// Configures each Npgsql pool the data source builds (partitions, CONNECT targets, the proxy database) before it is
    /// built: a password or token provider, SSL callbacks, type plugins. Read when the data source is created; a
    /// reload of the options does not replace it. Through DI, <see cref="Microsoft.Extensions.DependencyInjection.IPlProxyBuilder.ConfigureNpgsql"/>
    /// gives it the service provider.
    /// </summary>
    public Action<PlProxyPoolContext>? ConfigureNpgsql { get; set; }

    /// <summary>
    /// Configures each partition's Polly pipeline builder before the library adds its retry and circuit breaker: for
    /// Polly's telemetry (<c>builder.ConfigureTelemetry(loggerFactory)</c> from Polly.Extensions: its resilience events,
    /// logs and metrics, the pipeline named <c>PlProxy.Client</c> with the instance <c>&lt;cluster&gt;/&lt;partition&gt;</c>)
    /// or the builder's time provider. Do not add a retry here: it would send again calls the library never resends
    /// (a call that may have reached its server, unless <see cref="IdempotentAttribute"/>). Read when the data source is
    /// created; through DI, <see cref="Microsoft.Extensions.DependencyInjection.IPlProxyBuilder.ConfigureResilience"/>
    /// gives it the service provider.
    /// </summary>
    public Action<Polly.ResiliencePipelineBuilder>? ConfigureResilience { get; set; }

    /// <summary>Adds a cluster with default options.</summary>
    /// <param name="name">The cluster name bodies use in <c>CLUSTER 'name'</c>.</param>
    /// <param name="partitions">The partitions' connection strings, partition 0 first.</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException">The name is empty or already used.</exception>
    public PlProxyOptions AddCluster(string name, params string[] partitions) =>
        AddCluster(name, cluster =>
        {
            foreach (string partition in partitions)
            {
                cluster.Partitions.Add(partition);
            }
        });

    /// <summary>Adds a cluster configured by <paramref name="configure"/>.</summary>
    /// <param name="name">The cluster name.</param>
    /// <param name="configure">Sets the partitions and options.</param>
    /// <returns>These options.</returns>
    /// <exception cref="ArgumentException">The name is empty or already used.</exception>
    public PlProxyOptions AddCluster(string name, Action<PlProxyClusterOptions> configure)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configure);
        if (Clusters.ContainsKey(name))
        {
            throw new ArgumentException($"A cluster named '{name}' is already configured.", nameof(name));
        }

        var cluster = new PlProxyClusterOptions();
        configure(cluster);
        Clusters.Add(name, cluster);
        return this;
    }

    /// <summary>Resolves clusters not configured here from an existing PL/Proxy proxy database, as PL/Proxy itself would.</summary>
    /// <param name="connectionString">The proxy database's connection string.</param>
    /// <returns>These options.</returns>
    public PlProxyOptions UseProxyDatabase(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        ProxyDatabase = connectionString;
        return this;
    }
}
