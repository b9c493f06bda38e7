using Npgsql;
using PlProxy.Client.Connections;
using Polly.CircuitBreaker;

namespace PlProxy.Client.Clusters;

/// <summary>
/// The health of one partition database of a serving cluster: null <c>Failure</c> when it answered; for a partition
/// with standbys, each host as the standby monitor last saw it (<c>Standbys</c>; a standby down or late fails nothing:
/// reads then go to the primary). <c>Busy</c>: the database was not asked, for every connection the cap allows it was
/// held by calls for the whole timeout (a saturated partition, not a failed one).
/// </summary>
internal sealed record PartitionHealth(string Cluster, int Partition, string Database, string? Failure, string? Standbys = null, bool Busy = false);

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
        var health = new PartitionHealth(cluster.Layout.Name, cluster.Layout.FirstPartitionOf(connection), DatabaseName.Of(pool), null, Describe(cluster.ReplicasOf(connection)));
        if (cluster.Breakers.ElementAtOrDefault(connection)?.CircuitState is CircuitState.Open or CircuitState.Isolated)
        {
            return health with { Failure = "circuit open: the partition failed repeatedly, calls to it fail fast" };
        }

        // The timeout bounds the whole probe: Npgsql's open does not stop at a cancellation while a server that took
        // the TCP connection never answers its startup (it waits for the connection string's Timeout), so the probe
        // stops waiting for it; the open, left to end on its own, is observed when it does.
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        Task selectOne = SelectOneAsync(pool, deadline.Token);
        try
        {
            await selectOne.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
            return health;
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            _ = selectOne.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

            // Under a cap the probe waits for a connection as calls do: when calls held all of them all along, the
            // database was not asked at all, and saying it did not answer would blame it for the load.
            return cluster.Gate(connection) is { } gate && gate.InUse >= gate.Slots
                ? health with { Failure = $"busy: its {gate.Slots} connection(s) were in use (by calls, or partitions taken with GetPartitionAsync) for {timeout.TotalSeconds:0.###} s, so the database was not asked", Busy = true }
                : health with { Failure = $"no answer within {timeout.TotalSeconds:0.###} s" };
        }
        catch (NpgsqlException e)
        {
            return health with { Failure = e.Message };
        }
    }

    // "127.0.0.1:5432 primary; 127.0.0.1:5433 standby, 0.012 s stale; 127.0.0.1:5434 down".
    private static string? Describe(PartitionReplicas? replicas) =>
        replicas is null ? null : string.Join("; ", replicas.Hosts.Select(h => h.Role switch
        {
            ReplicaRole.Standby when h.CoveredUntil != 0 => $"{h.Endpoint} standby, {System.Diagnostics.Stopwatch.GetElapsedTime(h.CoveredUntil).TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)} s stale",
            ReplicaRole.Standby => $"{h.Endpoint} standby, staleness not known yet",
            ReplicaRole.Foreign => $"{h.Endpoint} not a replica of the primary (another server's system identifier): not read from",
            ReplicaRole.OtherTimeline => $"{h.Endpoint} standby on timeline {h.Timeline}, not the primary's {replicas.Hosts.FirstOrDefault(p => p.Role == ReplicaRole.Primary)?.Timeline.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}: not read from",
            var role => $"{h.Endpoint} {role.ToString().ToLowerInvariant()}",
        }));

    private static async Task SelectOneAsync(NpgsqlDataSource pool, CancellationToken cancellationToken)
    {
        await using NpgsqlConnection open = await IdleConnectionCheck.OpenAsync(pool, cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("select 1", open);
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
