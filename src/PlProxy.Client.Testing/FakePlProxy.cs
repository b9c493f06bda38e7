using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using PlProxy.Client.Configuration;
using PlProxy.Client.Execution;

namespace PlProxy.Client.Testing;

/// <summary>Runs proxies over fake clusters: creates the data source and plugs it into DI.</summary>
public static class FakePlProxy
{
    /// <summary>A data source whose clusters are <paramref name="clusters"/>: real routing, fake partitions.</summary>
    /// <param name="clusters">The fake clusters.</param>
    /// <returns>The data source.</returns>
    public static PlProxyDataSource CreateDataSource(params FakeCluster[] clusters)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        var options = new PlProxyOptions();
        foreach (FakeCluster cluster in clusters)
        {
            options.AddCluster(cluster.Name, c =>
            {
                c.ModularMapping = cluster.ModularMapping;
                for (int i = 0; i < cluster.PartitionCount; i++)
                {
                    c.Partitions.Add(cluster.PartitionName(i));
                }
            });
        }

        return PlProxyDataSource.Create(options, new Executor([.. clusters]));
    }

    /// <summary>
    /// Registers a data source over <paramref name="clusters"/>, replacing a real one registered before; add proxies
    /// with <see cref="IPlProxyBuilder.AddProxy{TInterface}"/> as usual.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="clusters">The fake clusters.</param>
    /// <returns>A builder for proxies.</returns>
    public static IPlProxyBuilder AddPlProxyFakes(this IServiceCollection services, params FakeCluster[] clusters) =>
        services.AddPlProxy(_ => CreateDataSource(clusters));

    private sealed class Executor(FakeCluster[] clusters) : IPartitionExecutor
    {
        public ValueTask<DbDataReader> ExecuteAsync(PartitionRequest request, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            FakeCluster cluster = Array.Find(clusters, c => c.Name == request.Cluster)
                ?? throw new PlProxyException($"No fake cluster answers calls of {request.Function}: CONNECT targets are not faked.");
            return ValueTask.FromResult(cluster.Answer(request).ToReader());
        }
    }
}
