using Npgsql;
using PlProxy.Client.Planning;

namespace PlProxy.Client.Execution;

/// <summary>A cluster ready for calls: its layout and one pooled data source per distinct connection.</summary>
internal sealed class ClusterRuntime(ClusterLayout layout, NpgsqlDataSource[] dataSources)
{
    public ClusterLayout Layout { get; } = layout;

    public NpgsqlDataSource DataSource(int connection) => dataSources[connection];
}
