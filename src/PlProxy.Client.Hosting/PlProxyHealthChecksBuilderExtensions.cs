using Microsoft.Extensions.Diagnostics.HealthChecks;
using PlProxy.Client.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>The PlProxy.Client health check.</summary>
public static class PlProxyHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check over every partition database of the clusters the data source serves: each must answer
    /// <c>select 1</c> within <paramref name="timeout"/> and have its circuit breaker closed. The result's data holds
    /// one entry per partition (<c>cluster/partition</c>: <c>ok</c> or why not).
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="serviceKey">The key of a keyed data source; null for the unkeyed one.</param>
    /// <param name="failureStatus">The status when a partition fails; null for the registration default (Unhealthy).</param>
    /// <param name="tags">Tags to filter checks by.</param>
    /// <param name="timeout">How long each partition may take to answer. Default: 5 s.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddPlProxy(
        this IHealthChecksBuilder builder,
        string name = "plproxy",
        object? serviceKey = null,
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null,
        TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        TimeSpan probeTimeout = timeout ?? TimeSpan.FromSeconds(5);
        return builder.Add(new HealthCheckRegistration(name, services => new PlProxyHealthCheck(services, serviceKey, probeTimeout), failureStatus, tags));
    }
}
