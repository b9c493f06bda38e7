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

/// <summary>One cluster: its partitions in order and how calls are routed among them.</summary>
public sealed class PlProxyClusterOptions
{
    /// <summary>The Npgsql connection strings of the partitions, partition 0 first. Byte-identical strings are one database.</summary>
    public IList<string> Partitions { get; } = new List<string>();

    /// <summary>PL/Proxy's <c>modular_mapping</c>: partition = <c>abs(hash % count)</c>, any count. Default: false (<c>hash &amp; (count - 1)</c>, a power of two).</summary>
    public bool ModularMapping { get; set; }

    /// <summary>The <c>hashtext</c> the cluster was partitioned with. Default: <see cref="PlProxyHashFlavor.Modern"/>.</summary>
    public PlProxyHashFlavor HashFlavor { get; set; }

    /// <summary>How <c>lower()</c>/<c>upper()</c> treat non-ASCII letters. Default: <see cref="PlProxyCaseMapping.AsciiOnly"/>.</summary>
    public PlProxyCaseMapping CaseMapping { get; set; }
}

/// <summary>The clusters PlProxy.Client routes calls to.</summary>
public sealed class PlProxyOptions
{
    /// <summary>The clusters by name (names compare ordinally, as PL/Proxy compares them).</summary>
    public IDictionary<string, PlProxyClusterOptions> Clusters { get; } = new Dictionary<string, PlProxyClusterOptions>(StringComparer.Ordinal);

    /// <summary>Adds a cluster with default options.</summary>
    /// <param name="name">The cluster name bodies use in <c>CLUSTER 'name'</c>.</param>
    /// <param name="partitions">The partitions' Npgsql connection strings, partition 0 first.</param>
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
}
