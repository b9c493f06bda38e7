using PlProxy.Client.Configuration;
using PlProxy.Client.Language;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Clusters;

/// <summary>
/// A cluster's options frozen at the moment they were applied (as Npgsql freezes a data source's configuration): value
/// equality says whether a reload changes the cluster, and nothing the caller does to its options object afterwards
/// can change what is recorded. Every setting of <see cref="PlProxyClusterOptions"/> has its member here (a test checks).
/// </summary>
internal sealed record ClusterDefinition(
    EquatableArray<string> Partitions,
    bool ModularMapping,
    PlProxyHashFlavor HashFlavor,
    PlProxyCaseMapping CaseMapping,
    string ProxyDatabaseEncoding,
    TimeSpan? QueryTimeout,
    TimeSpan? ConnectionLifetime,
    TimeSpan? ConnectTimeout,
    TimeSpan? KeepAlive,
    string? DefaultUser,
    int? MaxPoolSize,
    int? MinPoolSize,
    int? MaxConnectionsPerPartition,
    bool CoalesceCalls,
    int MaxCallsPerRoundTrip,
    TimeSpan? LongCallThreshold,
    TimeSpan MaxStandbyLag,
    TimeSpan StandbyCheckInterval,
    bool ReadYourWrites,
    PlProxyPooler Pooler,
    ClusterDefinition.RetryDefinition Retry,
    ClusterDefinition.CircuitBreakerDefinition CircuitBreaker)
{
    /// <summary>The definition of <paramref name="options"/> as they are now.</summary>
    public static ClusterDefinition Of(PlProxyClusterOptions options) => new(
        new EquatableArray<string>([.. options.Partitions]),
        options.ModularMapping,
        options.HashFlavor,
        options.CaseMapping,
        options.ProxyDatabaseEncoding,
        options.QueryTimeout,
        options.ConnectionLifetime,
        options.ConnectTimeout,
        options.KeepAlive,
        options.DefaultUser,
        options.MaxPoolSize,
        options.MinPoolSize,
        options.MaxConnectionsPerPartition,
        options.CoalesceCalls,
        options.MaxCallsPerRoundTrip,
        options.LongCallThreshold,
        options.MaxStandbyLag,
        options.StandbyCheckInterval,
        options.ReadYourWrites,
        options.Pooler,
        new RetryDefinition(options.Retry.MaxRetryAttempts, options.Retry.Delay, options.Retry.BackoffType, options.Retry.UseJitter, options.Retry.MaxDelay),
        new CircuitBreakerDefinition(options.CircuitBreaker.Enabled, options.CircuitBreaker.FailureRatio, options.CircuitBreaker.MinimumThroughput, options.CircuitBreaker.SamplingDuration, options.CircuitBreaker.BreakDuration));

    /// <summary>The frozen <see cref="PlProxyRetryOptions"/>.</summary>
    public sealed record RetryDefinition(int MaxRetryAttempts, TimeSpan Delay, Polly.DelayBackoffType BackoffType, bool UseJitter, TimeSpan? MaxDelay);

    /// <summary>The frozen <see cref="PlProxyCircuitBreakerOptions"/>.</summary>
    public sealed record CircuitBreakerDefinition(bool Enabled, double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakDuration);
}
