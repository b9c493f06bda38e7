using PlProxy.Client.Configuration;

namespace PlProxy.Client.Partconf;

/// <summary>What one partition database serves, as partconf records it.</summary>
/// <param name="Cluster">The cluster's name.</param>
/// <param name="Partitions">The partition numbers this database serves (several while they share a database).</param>
/// <param name="PartitionCount">The cluster's partition count: a power of two unless <see cref="ModularMapping"/>.</param>
/// <param name="DbCode">A number from 0 to 1023 unique among the cluster's databases: the low bits of <c>partconf.global_id()</c>.</param>
public sealed record PartconfSettings(string Cluster, IReadOnlyList<int> Partitions, int PartitionCount, int DbCode)
{
    /// <summary>True for a cluster mapped by <c>abs(hash % count)</c> instead of PL/Proxy's <c>hash &amp; (count - 1)</c>.</summary>
    public bool ModularMapping { get; init; }

    /// <summary>Which <c>hashtext</c> keys are hashed with (for <c>partconf.valid_hash()</c>).</summary>
    public PlProxyHashFlavor HashFlavor { get; init; }

    /// <summary>Throws when the settings cannot describe a partition database, naming what is wrong.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(Cluster))
        {
            throw new ArgumentException("partconf needs the cluster's name.", nameof(Cluster));
        }

        if (PartitionCount <= 0 || (!ModularMapping && (PartitionCount & (PartitionCount - 1)) != 0))
        {
            throw new ArgumentException($"Cluster '{Cluster}': the partition count {PartitionCount} must be {(ModularMapping ? "positive" : "a power of two (or the mapping modular)")}.", nameof(PartitionCount));
        }

        if (Partitions is null || Partitions.Count == 0)
        {
            throw new ArgumentException($"Cluster '{Cluster}': give the partition numbers this database serves.", nameof(Partitions));
        }

        foreach (int partition in Partitions)
        {
            if (partition < 0 || partition >= PartitionCount)
            {
                throw new ArgumentException($"Cluster '{Cluster}': partition {partition} is outside 0..{PartitionCount - 1}.", nameof(Partitions));
            }
        }

        if (DbCode is < 0 or > 1023)
        {
            throw new ArgumentException($"Cluster '{Cluster}': the db_code {DbCode} must be from 0 to 1023.", nameof(DbCode));
        }
    }
}
