using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Configuration;

/// <summary>
/// What the configuration binder takes from a section without a word, and PlProxy.Client refuses (the options'
/// validation names each, at start or on a reload, which then changes nothing):
/// <list type="bullet">
/// <item>Partitions not numbered 0 to n − 1, each once (<c>Clusters:userdb:Partitions:0</c> ...). The binder appends
/// the entries in the order of their keys and keeps no number, so a gap (<c>0, 1, 2, 4</c>), a number written otherwise
/// (<c>01</c>) or names (<c>p0</c> ... <c>p15</c>, which order <c>p10</c> before <c>p2</c>) would move the partitions
/// after it to other numbers: another map. It also appends them to partitions the code gave the cluster.</item>
/// <item>A duration written as a bare number (<c>"QueryTimeout": "30"</c>), which .NET reads as that many days: a
/// <c>MaxStandbyLag</c> of "1" would let reads see a day-old standby.</item>
/// </list>
/// </summary>
internal static class BoundSectionCheck
{
    private static readonly string[] Durations = DurationsOf(typeof(PlProxyOptions));
    private static readonly string[] ClusterDurations = DurationsOf(typeof(PlProxyClusterOptions));
    private static readonly string[] RetryDurations = DurationsOf(typeof(PlProxyRetryOptions));
    private static readonly string[] BreakerDurations = DurationsOf(typeof(PlProxyCircuitBreakerOptions));

    /// <summary>
    /// Notes on <paramref name="options"/> what <paramref name="section"/> gave that the binder took silently, beside what
    /// other sections bound to the same options gave (each options instance is built anew, so nothing stays from before).
    /// </summary>
    public static void Check(PlProxyOptions options, IConfiguration section)
    {
        CheckDurations(options, section, Durations, "");
        CheckCluster(options, section.GetSection(nameof(PlProxyOptions.ProxyDatabaseClusters)), $"{nameof(PlProxyOptions.ProxyDatabaseClusters)}:");
        foreach (IConfigurationSection cluster in section.GetSection(nameof(PlProxyOptions.Clusters)).GetChildren())
        {
            CheckCluster(options, cluster, $"Cluster '{cluster.Key}': ");
            if (options.Clusters.TryGetValue(cluster.Key, out PlProxyClusterOptions? clusterOptions))
            {
                string[] keys = [.. cluster.GetSection(nameof(PlProxyClusterOptions.Partitions)).GetChildren().Select(partition => partition.Key)];
                if ((NumberingProblem(keys) ?? (keys.Length > 0 && keys.Length != clusterOptions.Partitions.Count
                    ? $"has {clusterOptions.Partitions.Count} partitions, {keys.Length} of them from the configuration section: the binder adds those to the partitions the code gave the cluster (AddCluster) rather than replace them; define the cluster in one place"
                    : null)) is { } problem)
                {
                    options.BindingProblems.Add($"Cluster '{cluster.Key}' {problem}.");
                }
            }
        }
    }

    private static void CheckCluster(PlProxyOptions options, IConfiguration cluster, string where)
    {
        CheckDurations(options, cluster, ClusterDurations, where);
        CheckDurations(options, cluster.GetSection(nameof(PlProxyClusterOptions.Retry)), RetryDurations, where + "Retry:");
        CheckDurations(options, cluster.GetSection(nameof(PlProxyClusterOptions.CircuitBreaker)), BreakerDurations, where + "CircuitBreaker:");
    }

    // A value without ':' that .NET reads as a duration is a number of days ("30", "1.5" is refused by the binder).
    private static void CheckDurations(PlProxyOptions options, IConfiguration section, string[] names, string where)
    {
        foreach (string name in names)
        {
            if (section[name] is { } value && !value.Contains(':', StringComparison.Ordinal)
                && TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out TimeSpan read) && read != TimeSpan.Zero)
            {
                options.BindingProblems.Add(
                    $"{where}{name} is '{value.Trim()}', which .NET reads as {read.TotalDays:0.###} days; write a duration as hours:minutes:seconds (00:00:30 for 30 seconds, 1.00:00:00 for a day).");
            }
        }
    }

    // Null when the keys are 0 to n - 1, each once, in decimal without sign or leading zeros.
    private static string? NumberingProblem(string[] keys)
    {
        var numbers = new SortedSet<int>();
        foreach (string key in keys)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out int number) || number.ToString(CultureInfo.InvariantCulture) != key)
            {
                return Numbered($"'{key}', which is not a partition number", keys.Length);
            }

            numbers.Add(number); // configuration keys are unique: a number is repeated only when written otherwise
        }

        int expected = 0;
        foreach (int number in numbers)
        {
            if (number != expected)
            {
                return Numbered($"a partition {number} but no partition {expected}", keys.Length);
            }

            expected++;
        }

        return null;
    }

    private static string Numbered(string what, int count) =>
        $"has partitions numbered in the configuration with {what}; number them 0 to {count - 1}, each once (as a JSON array does): the binder keeps only their order, so a gap, a number written otherwise or a name would move the partitions after it to other numbers";

    private static string[] DurationsOf([DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicProperties)] Type type) =>
        [.. type.GetProperties().Where(p => (Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType) == typeof(TimeSpan)).Select(p => p.Name)];
}
