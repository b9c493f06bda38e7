using System.Security.Cryptography;
using System.Text;
using PlProxy.Client.Partconf;
using PlProxy.Client.Planning;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>A split (the partition count doubles) or a move (one partition to another database).</summary>
internal enum ReshardKind
{
    Split,
    Move,
}

/// <summary>A database of the cluster that keys move away from.</summary>
/// <param name="ConnectionString">Its Npgsql connection string.</param>
/// <param name="Name">Its database name, for messages.</param>
/// <param name="Old">What it serves now.</param>
/// <param name="New">What it serves after the switch; null when it serves nothing any more (its only partition moved).</param>
/// <param name="FencedPartitions">The partitions, under <paramref name="FenceCount"/>, whose keys move away.</param>
/// <param name="FenceCount">The partition count the fence is read with: the new count.</param>
internal sealed record ReshardSource(string ConnectionString, string Name, PartconfSettings Old, PartconfSettings? New, int[] FencedPartitions, int FenceCount);

/// <summary>A new database that receives keys.</summary>
/// <param name="ConnectionString">Its Npgsql connection string.</param>
/// <param name="Partition">Its connection string as the proxy database will list it.</param>
/// <param name="Name">Its database name, for messages.</param>
/// <param name="Source">The database it copies from.</param>
/// <param name="Settings">What it serves after the switch.</param>
/// <param name="Slot">The replication slot on the source and the subscription on this database.</param>
internal sealed record ReshardTarget(string ConnectionString, string Partition, string Name, ReshardSource Source, PartconfSettings Settings, string Slot);

/// <summary>
/// What a split or a move does: the map before and after, the databases keys leave (with the fence that stops writes
/// to the moving keys) and the new databases that receive them (with the copy that fills them).
/// </summary>
internal sealed record ReshardPlan(ReshardKind Kind, string Cluster, string[] OldMap, string[] NewMap, IReadOnlyList<ReshardSource> Sources, IReadOnlyList<ReshardTarget> Targets)
{
    /// <summary>The verb, for messages.</summary>
    public string Verb => Kind == ReshardKind.Split ? "split" : "move";

    /// <summary>The encoding the cluster's clients hash text keys as (<see cref="Configuration.PlProxyClusterOptions.ProxyDatabaseEncoding"/>).</summary>
    public string ProxyDatabaseEncoding { get; init; } = Hashing.ServerEncodings.Utf8;

    /// <summary>The publication every source publishes its copied tables in.</summary>
    public string Publication => Slot("pub");

    /// <summary>
    /// A split: partition p (on the database that serves it) keeps the keys that map to p under twice the count and
    /// hands those that map to p + n to <paramref name="to"/>[p].
    /// </summary>
    /// <param name="cluster">The cluster as the proxy database defines it (its settings and credentials).</param>
    /// <param name="oldMap">The partition list before the split, as the proxy database writes it.</param>
    /// <param name="to">The new databases, one per partition.</param>
    /// <param name="dbCodes">The db_code of each distinct database of <paramref name="oldMap"/>, in the order of its first partition.</param>
    public static ReshardPlan Split(PartconfCluster cluster, string[] oldMap, IReadOnlyList<string> to, IReadOnlyList<int> dbCodes)
    {
        int n = oldMap.Length;
        if (to.Count != n)
        {
            throw ToolRefusal.BadInput($"Cluster '{cluster.Name}' has {n} partitions: a split needs {n} new databases (--to), one for partition p + {n} of each partition p; {to.Count} given.");
        }

        int count = 2 * n;
        int code = dbCodes.Max() + 1;
        var sources = new List<ReshardSource>();
        var targets = new List<ReshardTarget>();
        foreach ((string connectionString, PartconfSettings old) in Databases(cluster, oldMap, dbCodes))
        {
            var source = new ReshardSource(connectionString, DatabaseName(connectionString), old, old with { PartitionCount = count }, [.. old.Partitions.Select(p => p + n)], count);
            sources.Add(source);
            foreach (int p in old.Partitions)
            {
                targets.Add(Target(cluster, to[p], source, old with { Partitions = [p + n], PartitionCount = count, DbCode = code++ }));
            }
        }

        return Checked(new ReshardPlan(ReshardKind.Split, cluster.Name, oldMap, [.. oldMap, .. to], sources, targets), cluster);
    }

    /// <summary>A move: partition <paramref name="partition"/>'s keys leave the database that serves it for <paramref name="to"/>.</summary>
    /// <param name="cluster">The cluster as the proxy database defines it (its settings and credentials).</param>
    /// <param name="oldMap">The partition list before the move, as the proxy database writes it.</param>
    /// <param name="partition">The partition that moves.</param>
    /// <param name="to">Its new database.</param>
    /// <param name="dbCodes">The db_code of each distinct database of <paramref name="oldMap"/>, in the order of its first partition.</param>
    public static ReshardPlan Move(PartconfCluster cluster, string[] oldMap, int partition, string to, IReadOnlyList<int> dbCodes)
    {
        if (partition < 0 || partition >= oldMap.Length)
        {
            throw ToolRefusal.BadInput($"Cluster '{cluster.Name}' has partitions 0..{oldMap.Length - 1}; --partition {partition} is not one of them.");
        }

        (string connectionString, PartconfSettings old) = Databases(cluster, oldMap, dbCodes).Single(d => d.Settings.Partitions.Contains(partition));
        int[] kept = [.. old.Partitions.Where(p => p != partition)];
        var source = new ReshardSource(connectionString, DatabaseName(connectionString), old, kept.Length == 0 ? null : old with { Partitions = kept }, [partition], old.PartitionCount);
        ReshardTarget target = Target(cluster, to, source, old with { Partitions = [partition], DbCode = dbCodes.Max() + 1 });
        string[] newMap = [.. oldMap];
        newMap[partition] = to;
        return Checked(new ReshardPlan(ReshardKind.Move, cluster.Name, oldMap, newMap, [source], [target]), cluster);
    }

    /// <summary>The plan of a split or move in progress, as its record gives it (for verbs that look at one, like <c>diff</c>).</summary>
    public static ReshardPlan Of(PartconfCluster cluster, ReshardOperation operation, IReadOnlyList<int> dbCodes)
    {
        if (operation.Kind == ReshardKind.Split)
        {
            return Split(cluster, operation.OldMap, operation.NewMap[operation.OldMap.Length..], dbCodes);
        }

        int partition = Enumerable.Range(0, operation.OldMap.Length).First(p => !string.Equals(operation.OldMap[p], operation.NewMap[p], StringComparison.Ordinal));
        return Move(cluster, operation.OldMap, partition, operation.NewMap[partition], dbCodes);
    }

    /// <summary>The distinct databases of a partition list, in the order of their first partition, each with what it serves.</summary>
    public static IEnumerable<(string ConnectionString, PartconfSettings Settings)> Databases(PartconfCluster cluster, IReadOnlyList<string> map, IReadOnlyList<int>? dbCodes = null)
    {
        var layout = new ClusterLayout(cluster.Name, map, cluster.Definition.Options.ModularMapping ? PartitionMapping.Modular : PartitionMapping.Mask);
        for (int connection = 0; connection < layout.ConnectionCount; connection++)
        {
            int c = connection;
            int[] partitions = [.. Enumerable.Range(0, layout.PartitionCount).Where(p => layout.ConnectionOf(p) == c)];
            yield return (cluster.ConnectionStringOf(layout.ConnectionString(connection)),
                new PartconfSettings(cluster.Name, partitions, layout.PartitionCount, dbCodes?[connection] ?? connection)
                {
                    ModularMapping = cluster.Definition.Options.ModularMapping,
                    HashFlavor = cluster.Definition.Options.HashFlavor,
                });
        }
    }

    // A name of at most 63 characters, unique to this cluster, operation and purpose, usable as a slot name.
    private string Slot(string purpose) => $"plproxy_{Verb}_{Digest(Cluster)}_{purpose}";

    private static ReshardTarget Target(PartconfCluster cluster, string partition, ReshardSource source, PartconfSettings settings)
    {
        string connectionString = cluster.ConnectionStringOf(partition);
        // Slots are named server-wide: the name is unique to the cluster, the source and the new database.
        string slot = $"plproxy_{Digest($"{cluster.Name}\n{Connections.DatabaseName.AddressOf(source.ConnectionString)}\n{Connections.DatabaseName.AddressOf(connectionString)}")}_to_{settings.Partitions[0]}";
        return new ReshardTarget(connectionString, partition, DatabaseName(connectionString), source, settings, slot);
    }

    // Every new database is new: not a database of the cluster, not given twice; db_codes stay within partconf's range.
    private static ReshardPlan Checked(ReshardPlan plan, PartconfCluster cluster)
    {
        var existing = Databases(cluster, plan.OldMap).Select(d => Connections.DatabaseName.AddressOf(d.ConnectionString)).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (ReshardTarget target in plan.Targets)
        {
            string key = Connections.DatabaseName.AddressOf(target.ConnectionString);
            if (existing.Contains(key))
            {
                throw ToolRefusal.BadInput($"{target.Name} already serves cluster '{plan.Cluster}': give new, empty databases (--to).");
            }

            if (!seen.Add(key))
            {
                throw ToolRefusal.BadInput($"{target.Name} is given twice: every partition needs a database of its own (--to).");
            }

            target.Settings.Validate();
        }

        return plan with { ProxyDatabaseEncoding = cluster.Definition.Options.ProxyDatabaseEncoding };
    }

    /// <summary>Whether two partition entries of the cluster (as the proxy database writes them) name one database.</summary>
    public static bool SameDatabase(PartconfCluster cluster, string partition, string other) =>
        Connections.DatabaseName.AddressOf(cluster.ConnectionStringOf(partition)) == Connections.DatabaseName.AddressOf(cluster.ConnectionStringOf(other));

    public static string DatabaseName(string connectionString) => new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database ?? "?";

    private static string Digest(string cluster) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(cluster)))[..12];
}
