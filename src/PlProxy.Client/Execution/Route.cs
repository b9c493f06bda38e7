using Npgsql;
using PlProxy.Client.Generated;
using PlProxy.Client.Planning;
using PlProxy.Client.Resilience;

namespace PlProxy.Client.Execution;

/// <summary>A planned call: where it runs (a cluster version held by lease, or a CONNECT target) and with which arguments.</summary>
internal sealed record Route(ProxyMethod Method, object?[] Arguments, ClusterRuntime? Cluster, NpgsqlDataSource? Direct, ExecutionPlan Plan, ConnectionBudget? Budget = null, IPartitionExecutor? Executor = null)
{
    /// <summary>True when the call goes to one database (a single partition, or CONNECT): read in place, no fan-out.</summary>
    public bool IsSingleDatabase => Plan.IsSingle || Direct is not null;
}
