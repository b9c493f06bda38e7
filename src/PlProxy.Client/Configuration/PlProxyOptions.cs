using System.Globalization;

using PlProxy.Client.Resilience;

namespace PlProxy.Client.Configuration;

/// <summary>Which <c>hashtext</c> a cluster was partitioned with.</summary>
public enum PlProxyHashFlavor
{
    /// <summary>PostgreSQL 8.4 and later (lookup3): the default.</summary>
    Modern,

    /// <summary>PostgreSQL 8.3 and older (lookup2), for clusters partitioned before 8.4 that keep their layout.</summary>
    Legacy83,
}

/// <summary>How <c>lower()</c> and <c>upper()</c> in hash expressions treat non-ASCII letters.</summary>
public enum PlProxyCaseMapping
{
    /// <summary>Non-ASCII text is an error: its case mapping depends on the proxy database's locale. The default.</summary>
    AsciiOnly,

    /// <summary>Only ASCII letters change, as in a proxy database whose collation was C.</summary>
    CLocale,
}

/// <summary>The connection pooler in front of a cluster's partitions; PlProxy.Client sets Npgsql up to suit it.</summary>
public enum PlProxyPooler
{
    /// <summary>Direct connections (or a pooler in session mode): Npgsql's defaults.</summary>
    None,

    /// <summary>pgBouncer in transaction pooling mode: no connection reset, no prepared statements kept across calls.</summary>
    PgBouncerTransaction,

    /// <summary>pgBouncer in statement pooling mode, the mode made for PL/Proxy: as for transaction mode; every call is one autocommit statement.</summary>
    PgBouncerStatement,
}

/// <summary>One cluster: its partitions in order and how calls are routed among them and run.</summary>
public sealed class PlProxyClusterOptions
{
    /// <summary>The connection strings of the partitions, partition 0 first (Npgsql's <c>Key=Value;</c> form or libpq's <c>key=value</c> form). Byte-identical strings are one database.</summary>
    public IList<string> Partitions { get; } = new List<string>();

    /// <summary>PL/Proxy's <c>modular_mapping</c>: partition = <c>abs(hash % count)</c>, any count. Default: false (<c>hash &amp; (count - 1)</c>, a power of two).</summary>
    public bool ModularMapping { get; set; }

    /// <summary>The <c>hashtext</c> the cluster was partitioned with. Default: <see cref="PlProxyHashFlavor.Modern"/>.</summary>
    public PlProxyHashFlavor HashFlavor { get; set; }

    /// <summary>How <c>lower()</c>/<c>upper()</c> treat non-ASCII letters. Default: <see cref="PlProxyCaseMapping.AsciiOnly"/>.</summary>
    public PlProxyCaseMapping CaseMapping { get; set; }

    /// <summary>PL/Proxy's <c>query_timeout</c>: a call still running after it is cancelled on every partition and fails with SQLSTATE 57014. Default: none.</summary>
    public TimeSpan? QueryTimeout { get; set; }

    /// <summary>PL/Proxy's <c>connection_lifetime</c>: pooled connections older than this are closed (Npgsql's Connection Lifetime). Default: kept.</summary>
    public TimeSpan? ConnectionLifetime { get; set; }

    /// <summary>How long opening a connection may take (Npgsql's Timeout). Default: Npgsql's (15 s).</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>The TCP keepalive interval (Npgsql's Keepalive). Default: off.</summary>
    public TimeSpan? KeepAlive { get; set; }

    /// <summary>PL/Proxy's <c>default_user</c>: the user for partitions whose connection string names none. Default: Npgsql's (the OS user).</summary>
    public string? DefaultUser { get; set; }

    /// <summary>The largest connection pool per partition database. Default: Npgsql's (100).</summary>
    public int? MaxPoolSize { get; set; }

    /// <summary>The connections kept open per partition database. Default: 0.</summary>
    public int? MinPoolSize { get; set; }

    /// <summary>The pooler in front of the partitions. Default: <see cref="PlProxyPooler.None"/>.</summary>
    public PlProxyPooler Pooler { get; set; }

    /// <summary>Automatic retries: of calls that provably never reached the server, and of <see cref="IdempotentAttribute"/> methods.</summary>
    public PlProxyRetryOptions Retry { get; } = new();

    /// <summary>The circuit breaker each partition database has.</summary>
    public PlProxyCircuitBreakerOptions CircuitBreaker { get; } = new();

    /// <summary>
    /// Applies one of PL/Proxy's cluster settings (as <c>plproxy.get_cluster_config</c> or a SQL/MED server gives them):
    /// <c>connection_lifetime</c>, <c>query_timeout</c>, <c>connect_timeout</c> (seconds), <c>modular_mapping</c>,
    /// <c>default_user</c>, <c>disable_binary</c> (accepted; Npgsql always moves values in binary), and the ignored
    /// <c>statement_timeout</c> and <c>keepalive_*</c>.
    /// </summary>
    /// <param name="key">The setting's name.</param>
    /// <param name="value">Its value.</param>
    /// <exception cref="ArgumentException">The key is unknown ("Unknown config param") or the value is not valid for it.</exception>
    public void ApplyPlProxySetting(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(key);
        switch (key)
        {
            case "connection_lifetime":
                ConnectionLifetime = Seconds(key, value);
                break;
            case "query_timeout":
                QueryTimeout = Seconds(key, value);
                break;
            case "connect_timeout":
                ConnectTimeout = Seconds(key, value);
                break;
            case "modular_mapping":
                ModularMapping = Integer(key, value) != 0;
                break;
            case "disable_binary":
                Integer(key, value);
                break;
            case "default_user":
                DefaultUser = value is "current_user" or "session_user" ? null : value;
                break;
            case "statement_timeout":
            case "keepalive_idle":
            case "keepalive_interval":
            case "keepalive_count":
                break; // accepted and ignored, as PL/Proxy does
            default:
                throw new ArgumentException($"Unknown config param: {key}", nameof(key));
        }
    }

    private static TimeSpan? Seconds(string key, string value)
    {
        int seconds = Integer(key, value);
        return seconds <= 0 ? null : TimeSpan.FromSeconds(seconds);
    }

    private static int Integer(string key, string value) =>
        int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int result)
            ? result
            : throw new ArgumentException($"Config param {key} must be an integer, not '{value}'.", nameof(value));
}

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
    /// The connection budget: at most this many partition calls in flight per database host (host and port), across
    /// every cluster and partition on it; further calls queue in arrival order. Fan-out multiplies connections (RUN ON
    /// ALL over 16 partitions from 100 callers would need 1,600), so a budget keeps a host below its max_connections.
    /// Pools keep idle connections per database: cap those with each cluster's <see cref="PlProxyClusterOptions.MaxPoolSize"/>.
    /// Default: none.
    /// </summary>
    public int? MaxConnectionsPerHost { get; set; }

    /// <summary>How long a call may wait for the connection budget before it fails (SQLSTATE 53300). Default: 15 s.</summary>
    public TimeSpan ConnectionBudgetTimeout { get; set; } = TimeSpan.FromSeconds(15);

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
