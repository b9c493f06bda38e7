namespace PlProxy.Client.Planning;

/// <summary>How a hash selects a partition.</summary>
internal enum PartitionMapping
{
    /// <summary>PL/Proxy's default: <c>hash &amp; (count - 1)</c>; the count must be a power of two.</summary>
    Mask,

    /// <summary>PL/Proxy's <c>modular_mapping</c>: <c>abs(hash % count)</c>; any count.</summary>
    Modular,
}

/// <summary>Which <c>hashtext</c> the cluster was partitioned with.</summary>
internal enum HashFlavor
{
    /// <summary>PostgreSQL 8.4 and later (lookup3).</summary>
    Modern,

    /// <summary>PostgreSQL 8.3 and older (lookup2), for clusters that keep their old layout.</summary>
    Legacy83,
}

/// <summary>How <c>lower</c> and <c>upper</c> treat non-ASCII text.</summary>
internal enum CaseMapping
{
    /// <summary>Non-ASCII input is an error: its case mapping depends on the proxy database's locale, which the client cannot know.</summary>
    AsciiOnly,

    /// <summary>Only ASCII letters change, as in a database whose collation is C.</summary>
    CLocale,

    /// <summary>As <see cref="AsciiOnly"/>, but ASCII I and i change as a Turkish or Azerbaijani locale changes them (to ı and İ).</summary>
    Turkic,
}

/// <summary>
/// An immutable snapshot of a cluster as the planner needs it: the partitions in order, which of them share a
/// connection (byte-identical connection strings, as PL/Proxy shares them), and how hashes map to partitions.
/// </summary>
internal sealed class ClusterLayout
{
    private readonly int[] _connectionOfPartition;
    private readonly int[] _firstPartitionOfConnection;
    private readonly string[] _connectionStrings;

    /// <summary>Creates a layout.</summary>
    /// <exception cref="ArgumentException">The name or a partition is empty, there are no partitions, or the count is not a power of two under <see cref="PartitionMapping.Mask"/>.</exception>
    public ClusterLayout(
        string name,
        IReadOnlyList<string> partitions,
        PartitionMapping mapping = PartitionMapping.Mask,
        HashFlavor hashFlavor = HashFlavor.Modern,
        CaseMapping caseMapping = CaseMapping.AsciiOnly,
        string? otherTextEncoding = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(partitions);
        if (partitions.Count == 0)
        {
            throw new ArgumentException($"Cluster '{name}' has no partitions.", nameof(partitions));
        }

        if (mapping == PartitionMapping.Mask && (partitions.Count & (partitions.Count - 1)) != 0)
        {
            throw new ArgumentException(
                $"Cluster '{name}' has {partitions.Count} partitions, but PL/Proxy's hash mapping needs a power of two (1, 2, 4, 8, ...); add or remove partitions, or use modular mapping.",
                nameof(partitions));
        }

        Name = name;
        Mapping = mapping;
        HashFlavor = hashFlavor;
        CaseMapping = caseMapping;
        OtherTextEncoding = otherTextEncoding;
        PartitionCount = partitions.Count;

        var connections = new Dictionary<string, int>(StringComparer.Ordinal);
        var connectionStrings = new List<string>();
        var firstPartitions = new List<int>();
        _connectionOfPartition = new int[partitions.Count];
        for (int partition = 0; partition < partitions.Count; partition++)
        {
            string connectionString = partitions[partition];
            if (string.IsNullOrWhiteSpace(connectionString))
            {
                throw new ArgumentException($"Partition {partition} of cluster '{name}' has an empty connection string.", nameof(partitions));
            }

            if (!connections.TryGetValue(connectionString, out int connection))
            {
                connection = connectionStrings.Count;
                connections.Add(connectionString, connection);
                connectionStrings.Add(connectionString);
                firstPartitions.Add(partition);
            }

            _connectionOfPartition[partition] = connection;
        }

        _connectionStrings = [.. connectionStrings];
        _firstPartitionOfConnection = [.. firstPartitions];
        AllTargets = [.. Enumerable.Range(0, _connectionStrings.Length).Select(c => new PlanTarget(c, _firstPartitionOfConnection[c], null))];
    }

    public string Name { get; }

    public int PartitionCount { get; }

    public PartitionMapping Mapping { get; }

    public HashFlavor HashFlavor { get; }

    public CaseMapping CaseMapping { get; }

    /// <summary>
    /// The encoding of the proxy database that routed this cluster when its <c>hashtext</c> hashed text differently
    /// from the client (any encoding but UTF8 and SQL_ASCII): text with a non-ASCII character has no hash here. Null
    /// when text hashes as UTF-8.
    /// </summary>
    public string? OtherTextEncoding { get; }

    /// <summary>The number of distinct connections (distinct connection strings).</summary>
    public int ConnectionCount => _connectionStrings.Length;

    /// <summary>One target per distinct connection, in partition order: the plan of RUN ON ALL, built once.</summary>
    internal PlanTarget[] AllTargets { get; }

    /// <summary>The first partition that uses connection <paramref name="connection"/>.</summary>
    public int FirstPartitionOf(int connection) => _firstPartitionOfConnection[connection];

    /// <summary>The connection partition <paramref name="partition"/> uses.</summary>
    public int ConnectionOf(int partition) => _connectionOfPartition[partition];

    /// <summary>The connection string of connection <paramref name="connection"/>.</summary>
    public string ConnectionString(int connection) => _connectionStrings[connection];

    /// <summary>The partition a hash (widened to 64 bits) selects: the public mapping users call, the one place it lives.</summary>
    public int PartitionOf(long hash) => Mapping == PartitionMapping.Mask
        ? Hashing.Partitions.IndexOf(hash, PartitionCount)
        : Hashing.Partitions.ModularIndexOf(hash, PartitionCount);
}
