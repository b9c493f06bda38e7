using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace PlProxy.Client.Configuration;

/// <summary>
/// The numbers of a cluster's partitions as a configuration section gives them (<c>Clusters:userdb:Partitions:0</c>).
/// The binder appends the entries in the order of their keys and keeps no number, so a gap (<c>0, 1, 2, 4</c>), a
/// number written twice (<c>1</c> and <c>01</c>) or a name (<c>p0</c> ... <c>p15</c>, whose order puts <c>p10</c>
/// before <c>p2</c>) would silently move the partitions after it to other numbers: another map. The keys must be
/// 0 to n − 1, each once, as a JSON array gives them; otherwise the options' validation says so.
/// </summary>
internal static class ConfiguredPartitionNumbers
{
    /// <summary>Notes on each cluster of <paramref name="options"/> whether <paramref name="section"/> numbers its partitions 0 to n − 1.</summary>
    public static void Check(PlProxyOptions options, IConfiguration section)
    {
        foreach (IConfigurationSection cluster in section.GetSection("Clusters").GetChildren())
        {
            if (options.Clusters.TryGetValue(cluster.Key, out PlProxyClusterOptions? clusterOptions))
            {
                string[] keys = [.. cluster.GetSection("Partitions").GetChildren().Select(partition => partition.Key)];
                clusterOptions.PartitionNumbering = Problem(keys) ?? (keys.Length > 0 && keys.Length != clusterOptions.Partitions.Count
                    ? $"has {clusterOptions.Partitions.Count} partitions, {keys.Length} of them from the configuration section: the binder adds those to the partitions the code gave the cluster (AddCluster) rather than replace them; define the cluster in one place"
                    : null);
            }
        }
    }

    // Null when the keys are 0 to n - 1, each once, in decimal without sign or leading zeros.
    private static string? Problem(string[] keys)
    {
        var numbers = new SortedSet<int>();
        foreach (string key in keys)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number.ToString(CultureInfo.InvariantCulture) != key)
            {
                return Describe($"'{key}', which is not a partition number", keys.Length);
            }

            numbers.Add(number); // configuration keys are unique: a number is repeated only when written otherwise
        }

        int expected = 0;
        foreach (int number in numbers)
        {
            if (number != expected)
            {
                return Describe($"a partition {number} but no partition {expected}", keys.Length);
            }

            expected++;
        }

        return null;
    }

    private static string Describe(string what, int count) =>
        $"has partitions numbered in the configuration with {what}; number them 0 to {count - 1}, each once (as a JSON array does): the binder keeps only their order, so a gap, a number written otherwise or a name would move the partitions after it to other numbers";
}
