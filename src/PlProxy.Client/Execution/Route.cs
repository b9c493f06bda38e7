using PlProxy.Client.Clusters;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Execution;

/// <summary>
/// A planned call: the cluster version it holds a lease on (a CONNECT target is a cluster of one partition), the
/// partitions it runs on and its arguments. What it runs through (pools' budget, the executor seam) is the data
/// source's <see cref="Partitions"/>, not the call's.
/// </summary>
internal sealed record Route(RemoteCall Call, object?[] Arguments, ClusterSnapshot Cluster, ExecutionPlan Plan)
{
    /// <summary>True when the call goes to one database: read in place, no fan-out.</summary>
    public bool IsSingleDatabase => Plan.IsSingle;

    /// <summary>Where this call's errors arise: its function and cluster.</summary>
    public CallErrorContext Errors => Call.Errors(Cluster.Name);

    /// <summary>Where an error at one partition's database arises (a CONNECT target has no partition number).</summary>
    public CallErrorContext ErrorsAt(int partition, string database) => Errors.At(Cluster.IsConnectTarget ? null : partition, database);
}
