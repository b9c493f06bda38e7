using Npgsql;
using PlProxy.Client.Connections;
using Polly.CircuitBreaker;

namespace PlProxy.Client.Clusters;

/// <summary>The health of one partition database of a serving cluster: null <c>Failure</c> when it answered.</summary>
internal sealed record PartitionHealth(string Cluster, int Partition, string Database, string? Failure);

/// <summary>
/// Asks every partition database of the clusters serving now for <c>select 1</c>, all at once and each within a
/// timeout, and reads each circuit breaker: what a health check reports.
/// </summary>
internal static class PartitionProbe
{
    public static async Task<IReadOnlyList<PartitionHealth>> ProbeAsync(ClusterRegistry registry, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var leased = new List<ClusterSnapshot>();
        try
        {
            var probes = new List<Task<PartitionHealth>>();
            foreach (ClusterSnapshot cluster in registry.Current.Values)
            {
                if (!cluster.TryAcquire())
                {
                    continue; // replaced meanwhile: its successor is in the next check
                }

                leased.Add(cluster);
                for (int connection = 0; connection < cluster.Layout.ConnectionCount; connection++)
                {
                    probes.Add(ProbeAsync(cluster, connection, timeout, cancellationToken));
                }
            }

            return await Task.WhenAll(probes).ConfigureAwait(false);
        }
        finally
        {
            foreach (ClusterSnapshot cluster in leased)
            {
                cluster.Release();
            }
        }
    }

    private static async Task<PartitionHealth> ProbeAsync(ClusterSnapshot cluster, int connection, TimeSpan timeout, CancellationToken cancellationToken)
    {
        NpgsqlDataSource pool = cluster.DataSource(connection);
        var health = new PartitionHealth(cluster.Layout.Name, cluster.Layout.FirstPartitionOf(connection), DatabaseName.Of(pool), null);
        if (cluster.Breakers.ElementAtOrDefault(connection)?.CircuitState is CircuitState.Open or CircuitState.Isolated)
        {
            return health with { Failure = "circuit open: the partition failed repeatedly, calls to it fail fast" };
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using NpgsqlConnection open = await pool.OpenConnectionAsync(deadline.Token).ConfigureAwait(false);
            await using var command = new NpgsqlCommand("select 1", open);
            await command.ExecuteScalarAsync(deadline.Token).ConfigureAwait(false);
            return health;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return health with { Failure = $"no answer within {timeout.TotalSeconds:0.###} s" };
        }
        catch (NpgsqlException e)
        {
            return health with { Failure = e.Message };
        }
    }
}
