using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PlProxy.Client.Hosting;

/// <summary>
/// Each partition database of the serving clusters: reachable (<c>select 1</c> within the timeout) and its circuit
/// closed; for a partition with standbys, each host's role and staleness in the data (<c>cluster/partition/hosts</c>).
/// A partition whose every connection was held by calls for the whole timeout is busy, not failed: Degraded, unless
/// another partition fails.
/// </summary>
internal sealed class PlProxyHealthCheck(IServiceProvider services, object? serviceKey, TimeSpan timeout) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        PlProxyDataSource source = services.GetRequiredKeyedService<PlProxyDataSource>(serviceKey);
        IReadOnlyList<Clusters.PartitionHealth> partitions = await source.CheckPartitionsAsync(timeout, cancellationToken).ConfigureAwait(false);
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var failures = new List<string>();
        bool failed = false;
        foreach (Clusters.PartitionHealth partition in partitions)
        {
            string key = $"{partition.Cluster}/{partition.Partition}";
            data[key] = partition.Failure ?? "ok";
            if (partition.Standbys is { } standbys)
            {
                data[$"{key}/hosts"] = standbys;
            }

            if (partition.Failure is not null)
            {
                failures.Add($"{key} ({partition.Database}): {partition.Failure}");
                failed |= !partition.Busy;
            }
        }

        return failures.Count == 0 ? HealthCheckResult.Healthy($"{partitions.Count} partition databases answer", data)
            : failed ? new HealthCheckResult(context.Registration.FailureStatus, $"{failures.Count} of {partitions.Count} partition databases fail: {string.Join("; ", failures)}", data: data)
            : HealthCheckResult.Degraded($"{failures.Count} of {partitions.Count} partition databases are busy: {string.Join("; ", failures)}", data: data);
    }
}
