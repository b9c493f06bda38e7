using Microsoft.Extensions.Options;
using PlProxy.Client.Connections;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Configuration;

/// <summary>
/// Checks <see cref="PlProxyOptions"/> at start-up: each failure is one sentence naming the cluster and the entry, and
/// never a password. One validator per data source, for the named options it is built from.
/// </summary>
internal sealed class PlProxyOptionsValidator(string optionsName) : IValidateOptions<PlProxyOptions>
{
    // The longest delay a CancellationTokenSource timer takes (about 49.7 days).
    private static readonly TimeSpan MaxQueryTimeout = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    // Npgsql's Timeout keyword takes at most 1024 seconds; the other durations become whole seconds in an int.
    private static readonly TimeSpan MaxConnectTimeout = TimeSpan.FromSeconds(1024);
    private static readonly TimeSpan MaxSeconds = TimeSpan.FromSeconds(int.MaxValue);

    // Polly's bounds for a retry delay and a circuit breaker's durations.
    private static readonly TimeSpan MaxPollyDuration = TimeSpan.FromDays(1);

    /// <summary>
    /// Set once a data source serves these options: a reload is then validated by the data source itself, which keeps
    /// the clusters in use and logs why, instead of the options system throwing into the configuration provider.
    /// </summary>
    public bool DataSourceServing { get; set; }

    public ValidateOptionsResult Validate(string? name, PlProxyOptions options)
    {
        if (DataSourceServing || (name ?? Options.DefaultName) != optionsName)
        {
            return ValidateOptionsResult.Skip;
        }

        List<string> failures = Failures(options);
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    public static List<string> Failures(PlProxyOptions options)
    {
        var failures = new List<string>();
        if (options.Clusters.Count == 0 && options.ProxyDatabase is null)
        {
            failures.Add("No clusters are configured: add one with AddCluster, bind a configuration section, or use a proxy database.");
        }

        if (options.ProxyDatabase is { } proxy && NamedConnectionString.NameOf(proxy) is { } proxyName)
        {
            failures.Add($"ProxyDatabase is the connection string named '{proxyName}', which the configuration does not define (ConnectionStrings:{proxyName}).");
        }
        else if (options.ProxyDatabase is { } proxyDatabase)
        {
            try
            {
                ConnectionStrings.ForProxyDatabase(proxyDatabase);
            }
            catch (ArgumentException e)
            {
                failures.Add($"ProxyDatabase has an invalid connection string ({e.Message})."); // names keywords and positions, never a value
            }
        }

        if (options.ProxyDatabasePollInterval <= TimeSpan.Zero)
        {
            failures.Add($"The proxy database poll interval must be positive, but it is {options.ProxyDatabasePollInterval}.");
        }

        if (options.FencedCallTimeout < TimeSpan.Zero)
        {
            failures.Add($"FencedCallTimeout must not be negative (it was {options.FencedCallTimeout}).");
        }

        if (options.MaxConnectionsPerHost is < 1 || options.ConnectionBudgetTimeout <= TimeSpan.Zero)
        {
            failures.Add($"The connection budget is invalid (MaxConnectionsPerHost {options.MaxConnectionsPerHost}, ConnectionBudgetTimeout {options.ConnectionBudgetTimeout}).");
        }

        failures.AddRange(options.BindingProblems);
        foreach ((string cluster, PlProxyClusterOptions clusterOptions) in options.Clusters)
        {
            failures.AddRange(ClusterFailures(cluster, clusterOptions));
        }

        if (options.ProxyDatabase is not null)
        {
            // Only the client-side settings apply: partitions come from the proxy database.
            failures.AddRange(ClusterFailures("(proxy database clusters)", options.ProxyDatabaseClusters).Where(f => !f.Contains("has no partitions", StringComparison.Ordinal)));
        }

        return failures;
    }

    public static IEnumerable<string> ClusterFailures(string cluster, PlProxyClusterOptions options)
    {
        if (string.IsNullOrWhiteSpace(cluster))
        {
            yield return "A cluster has an empty name.";
        }

        int count = options.Partitions.Count;
        if (count == 0)
        {
            yield return $"Cluster '{cluster}' has no partitions.";
        }
        else if (!options.ModularMapping && (count & (count - 1)) != 0)
        {
            yield return $"Cluster '{cluster}' has {count} partitions, but PL/Proxy's hash mapping needs a power of two (1, 2, 4, 8, ...); add or remove partitions, or set ModularMapping.";
        }

        for (int i = 0; i < count; i++)
        {
            string? problem = null;
            if (string.IsNullOrWhiteSpace(options.Partitions[i]))
            {
                problem = "an empty connection string";
            }
            else if (NamedConnectionString.NameOf(options.Partitions[i]) is { } name)
            {
                problem = $"the connection string named '{name}', which the configuration does not define (ConnectionStrings:{name})";
            }
            else
            {
                try
                {
                    ConnectionStrings.ForPartition(options.Partitions[i], options.ConnectionSettings());
                }
                catch (ArgumentException e)
                {
                    problem = $"an invalid connection string ({e.Message})"; // names keywords and positions, never a value
                }
            }

            if (problem is not null)
            {
                yield return $"Partition {i} of cluster '{cluster}' has {problem}.";
            }
        }

        if (!Hashing.ServerEncodings.IsServerEncoding(options.ProxyDatabaseEncoding))
        {
            yield return $"ProxyDatabaseEncoding of cluster '{cluster}' ('{options.ProxyDatabaseEncoding}') is not a PostgreSQL server encoding (as server_encoding names it: UTF8, LATIN1, WIN1252, EUC_JP, ...).";
        }

        foreach ((string what, TimeSpan? value, TimeSpan max) in new[]
        {
            ("QueryTimeout", options.QueryTimeout, MaxQueryTimeout),
            ("ConnectionLifetime", options.ConnectionLifetime, MaxSeconds),
            ("ConnectTimeout", options.ConnectTimeout, MaxConnectTimeout),
            ("KeepAlive", options.KeepAlive, MaxSeconds),
        })
        {
            if (value is { } v && (v <= TimeSpan.Zero || v > max))
            {
                yield return $"{what} of cluster '{cluster}' must be positive and at most {max}, but it is {v}.";
            }
        }

        if (options.Retry.MaxRetryAttempts < 0 || options.Retry.Delay < TimeSpan.Zero || options.Retry.Delay > MaxPollyDuration)
        {
            yield return $"The retry options of cluster '{cluster}' are invalid (MaxRetryAttempts {options.Retry.MaxRetryAttempts}, Delay {options.Retry.Delay}): MaxRetryAttempts must be at least 0 and Delay between 0 and one day.";
        }

        if (options.Retry.MaxDelay is { } maxDelay && (maxDelay < options.Retry.Delay || maxDelay > MaxPollyDuration))
        {
            yield return $"Retry.MaxDelay of cluster '{cluster}' ({maxDelay}) must be at least Retry.Delay ({options.Retry.Delay}) and at most one day (or null for none).";
        }

        // An enum given as a number (configuration binds "2" as well as "Turkic") must name one of its members: an
        // undefined HashFlavor would hash as Modern, an undefined CaseMapping change case as AsciiOnly, without a word.
        if (!Enum.IsDefined(options.HashFlavor))
        {
            yield return $"HashFlavor of cluster '{cluster}' ({(int)options.HashFlavor}) is not one of Modern, Legacy83.";
        }

        if (!Enum.IsDefined(options.CaseMapping))
        {
            yield return $"CaseMapping of cluster '{cluster}' ({(int)options.CaseMapping}) is not one of {string.Join(", ", Enum.GetNames<PlProxyCaseMapping>())}.";
        }

        if (!Enum.IsDefined(options.Pooler))
        {
            yield return $"Pooler of cluster '{cluster}' ({(int)options.Pooler}) is not one of {string.Join(", ", Enum.GetNames<PlProxyPooler>())}.";
        }

        if (!Enum.IsDefined(options.Retry.BackoffType))
        {
            yield return $"Retry.BackoffType of cluster '{cluster}' ({(int)options.Retry.BackoffType}) is not one of Constant, Linear, Exponential.";
        }

        PlProxyCircuitBreakerOptions breaker = options.CircuitBreaker;
        if (breaker.Enabled && (!(breaker.FailureRatio > 0 && breaker.FailureRatio <= 1) || breaker.MinimumThroughput < 2
            || !InPollyRange(breaker.SamplingDuration) || !InPollyRange(breaker.BreakDuration)))
        {
            yield return $"The circuit breaker of cluster '{cluster}' is invalid: FailureRatio must be in (0, 1], MinimumThroughput at least 2, SamplingDuration and BreakDuration between 0.5 s and one day.";
        }

        if (options.MaxPoolSize is < 1 || (options.MinPoolSize is { } min && (min < 0 || min > (options.MaxPoolSize ?? 100))))
        {
            yield return $"The pool sizes of cluster '{cluster}' are invalid (MinPoolSize {options.MinPoolSize}, MaxPoolSize {options.MaxPoolSize}).";
        }

        if (options.MaxConnectionsPerPartition is < 1)
        {
            yield return $"MaxConnectionsPerPartition of cluster '{cluster}' must be at least 1 (or null for no cap), but it is {options.MaxConnectionsPerPartition}.";
        }
        else if (options.MinPoolSize is { } kept && options.MaxConnectionsPerPartition is { } cap && kept > cap)
        {
            yield return $"MinPoolSize of cluster '{cluster}' ({kept}) keeps more connections open than MaxConnectionsPerPartition ({cap}) lets calls use.";
        }

        if (options.LongCallThreshold is { } longCall && longCall <= TimeSpan.Zero)
        {
            yield return $"LongCallThreshold of cluster '{cluster}' must be positive (or null to let every call share round trips), but it is {longCall}.";
        }

        if (options.MaxCallsPerRoundTrip is < 1 or > MaxCallsPerRoundTrip)
        {
            yield return $"MaxCallsPerRoundTrip of cluster '{cluster}' must be between 1 and {MaxCallsPerRoundTrip}, but it is {options.MaxCallsPerRoundTrip}.";
        }

        if (options.MaxStandbyLag <= TimeSpan.Zero)
        {
            yield return $"MaxStandbyLag of cluster '{cluster}' must be positive, but it is {options.MaxStandbyLag}.";
        }

        if (options.StandbyCheckInterval <= TimeSpan.Zero || options.StandbyCheckInterval >= options.MaxStandbyLag)
        {
            yield return $"StandbyCheckInterval of cluster '{cluster}' must be positive and shorter than MaxStandbyLag ({options.MaxStandbyLag}), but it is {options.StandbyCheckInterval}.";
        }
    }

    // One round trip's statements are read before any of them completes: keep a batch's rows in memory bounded.
    private const int MaxCallsPerRoundTrip = 1024;

    private static bool InPollyRange(TimeSpan duration) => duration >= TimeSpan.FromMilliseconds(500) && duration <= MaxPollyDuration;
}
