using PlProxy.Client.Clusters;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Execution;

/// <summary>
/// The first step of every call: where it runs (its cluster's current version, leased, or a CONNECT target) and on
/// which partitions, as a <see cref="Route"/>.
/// </summary>
internal sealed class CallPlanner(ClusterRegistry clusters, IRandomSource random)
{
    private ValueTask<ClusterSnapshot> AcquireClusterAsync(string name, RemoteCall call, CancellationToken cancellationToken) =>
        clusters.AcquireAsync(name, call.Errors(name), cancellationToken);

    // Where the call runs (a cluster, or a CONNECT target: a cluster of one partition) and on which partitions.
    public async ValueTask<Route> PlanAsync(RemoteCall call, object?[] arguments, CancellationToken cancellationToken)
    {
        BoundFunction function = call.Function;
        var planArguments = new ObjectArrayArguments(arguments);
        ClusterSnapshot cluster = function.Location switch
        {
            LocationKind.ConnectString => clusters.AcquireConnectTarget(function.ConnectString!),
            LocationKind.ConnectExpression => clusters.AcquireConnectTarget(EvaluateName(call, planArguments, "CONNECT")),
            LocationKind.ClusterName => await AcquireClusterAsync(function.ClusterName!, call, cancellationToken).ConfigureAwait(false),
            _ => await AcquireClusterAsync(EvaluateName(call, planArguments, "CLUSTER"), call, cancellationToken).ConfigureAwait(false),
        };
        try
        {
            ExecutionPlan plan = cluster.IsConnectTarget ? ExecutionPlan.Single(0, 0) : Planner.Plan(function, planArguments, cluster.Layout, random, call.Functions);
            return new Route(call, arguments, cluster, plan);
        }
        catch
        {
            cluster.Release();
            throw;
        }
    }

    private static readonly ClusterLayout LocationContext = new("(location)", ["(none)"]);

    private static string EvaluateName(RemoteCall call, ObjectArrayArguments arguments, string statement)
    {
        SqlValue value = ExpressionEvaluator.Evaluate(call.Function.LocationExpression!, arguments, -1, LocationContext, call.Functions);
        return value.Text ?? throw call.Errors().Error($"the {statement} function returned NULL");
    }
}
