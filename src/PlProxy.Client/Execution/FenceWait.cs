using System.Diagnostics;
using Microsoft.Extensions.Logging;
using PlProxy.Client.Clusters;
using PlProxy.Client.Planning;
using PlProxy.Client.Telemetry;

namespace PlProxy.Client.Execution;

/// <summary>
/// The fences one call met: each counted and logged; the cluster's map read again from its source (an unreachable
/// proxy database leaves it as it is); a growing pause (25 ms doubling to 400 ms) from the second on, cut short
/// when a new version of any cluster is swapped in (a notification from the proxy database, an options reload) and
/// skipped when the call's version is already replaced; and, past the fence wait, the stale-map error naming where
/// the call was refused. Allocated only when a call is fenced.
/// </summary>
internal sealed class FenceWait(ClusterRegistry clusters, ILogger logger, TimeSpan timeout, RemoteCall call)
{
    private readonly long _first = Stopwatch.GetTimestamp();
    private int _count;

    public async Task NextAsync(Route route, PlProxyException fence, CancellationToken cancellationToken)
    {
        _count++;
        TimeSpan waited = Stopwatch.GetElapsedTime(_first);
        PlProxyTelemetry.FencedCalls.Add(1, new KeyValuePair<string, object?>(TelemetryNames.Cluster, route.Cluster.Name), new KeyValuePair<string, object?>(TelemetryNames.Partition, fence.PartitionIndex));
        Log.CallFenced(logger, call.Name, route.Cluster.Name, fence.PartitionIndex, fence.Database, _count);
        if (waited >= timeout || route.Cluster.IsConnectTarget)
        {
            throw route.Errors.At(fence.PartitionIndex, fence.Database ?? "?").Error(
                $"stale partition map: the call was fenced {_count} time(s) over {waited.TotalSeconds:0.00} s and the map of cluster {route.Cluster.Name} did not change to where the key now belongs ({fence.Message})",
                PlProxySqlStates.WrongPartition,
                fence);
        }

        if (_count > 1 && !route.Cluster.IsRetired)
        {
            Task changed = clusters.Changed;
            TimeSpan pause = TimeSpan.FromMilliseconds(Math.Min(400, 25 << Math.Min(_count - 2, 4)));
            TimeSpan left = timeout - waited;
            using var paused = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task delay = Task.Delay(pause < left ? pause : left, paused.Token);
            if (await Task.WhenAny(delay, changed).ConfigureAwait(false) == changed)
            {
                await paused.CancelAsync().ConfigureAwait(false);
            }

            cancellationToken.ThrowIfCancellationRequested();
        }

        await clusters.RefreshAsync(route.Cluster.Name!, cancellationToken).ConfigureAwait(false);
    }
}
