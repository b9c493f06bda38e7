using Microsoft.Extensions.Options;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Configuration;

/// <summary>
/// Checks <see cref="PlProxyOptions"/> at start-up: each failure is one sentence naming the cluster and the entry, and
/// never a password.
/// </summary>
internal sealed class PlProxyOptionsValidator : IValidateOptions<PlProxyOptions>
{
    public ValidateOptionsResult Validate(string? name, PlProxyOptions options)
    {
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

        if (options.ProxyDatabasePollInterval <= TimeSpan.Zero)
        {
            failures.Add($"The proxy database poll interval must be positive, but it is {options.ProxyDatabasePollInterval}.");
        }

        if (options.MaxConnectionsPerHost is < 1 || options.ConnectionBudgetTimeout <= TimeSpan.Zero)
        {
            failures.Add($"The connection budget is invalid (MaxConnectionsPerHost {options.MaxConnectionsPerHost}, ConnectionBudgetTimeout {options.ConnectionBudgetTimeout}).");
        }

        foreach ((string cluster, PlProxyClusterOptions clusterOptions) in options.Clusters)
        {
            failures.AddRange(ClusterFailures(cluster, clusterOptions));
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
            else
            {
                try
                {
                    ConnectionStrings.ForPartition(options.Partitions[i], options);
                }
                catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
                {
                    problem = $"an invalid connection string ({Redacted(e.Message)})";
                }
            }

            if (problem is not null)
            {
                yield return $"Partition {i} of cluster '{cluster}' has {problem}.";
            }
        }

        foreach ((string what, TimeSpan? value) in new[] { ("QueryTimeout", options.QueryTimeout), ("ConnectionLifetime", options.ConnectionLifetime), ("ConnectTimeout", options.ConnectTimeout), ("KeepAlive", options.KeepAlive) })
        {
            if (value is { } v && v <= TimeSpan.Zero)
            {
                yield return $"{what} of cluster '{cluster}' must be positive, but it is {v}.";
            }
        }

        if (options.Retry.MaxRetryAttempts < 0 || options.Retry.Delay < TimeSpan.Zero)
        {
            yield return $"The retry options of cluster '{cluster}' are invalid (MaxRetryAttempts {options.Retry.MaxRetryAttempts}, Delay {options.Retry.Delay}).";
        }

        PlProxyCircuitBreakerOptions breaker = options.CircuitBreaker;
        if (breaker.Enabled && (breaker.FailureRatio is <= 0 or > 1 || breaker.MinimumThroughput < 2
            || breaker.SamplingDuration < TimeSpan.FromMilliseconds(500) || breaker.BreakDuration < TimeSpan.FromMilliseconds(500)))
        {
            yield return $"The circuit breaker of cluster '{cluster}' is invalid: FailureRatio must be in (0, 1], MinimumThroughput at least 2, SamplingDuration and BreakDuration at least 0.5 s.";
        }

        if (options.MaxPoolSize is < 1 || (options.MinPoolSize is { } min && (min < 0 || min > (options.MaxPoolSize ?? 100))))
        {
            yield return $"The pool sizes of cluster '{cluster}' are invalid (MinPoolSize {options.MinPoolSize}, MaxPoolSize {options.MaxPoolSize}).";
        }
    }

    // Npgsql's messages name keys, not values; this strips anything after "password" in case one ever does.
    private static string Redacted(string message)
    {
        int at = message.IndexOf("password", StringComparison.OrdinalIgnoreCase);
        return at < 0 ? message : message[..at] + "password=***";
    }
}
