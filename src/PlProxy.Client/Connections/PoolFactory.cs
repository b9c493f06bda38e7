using Microsoft.Extensions.Logging;
using Npgsql;

namespace PlProxy.Client.Connections;

/// <summary>
/// Builds every <see cref="NpgsqlDataSource"/> a data source opens (partitions, CONNECT targets, the proxy database):
/// with the application's logger factory, so Npgsql's own logs go where the application's go, and through the
/// application's hook (<see cref="PlProxyPoolContext"/>).
/// </summary>
internal sealed class PoolFactory(Action<PlProxyPoolContext>? configure, ILoggerFactory? loggerFactory)
{
    /// <summary>Npgsql's defaults: no hook, no logging.</summary>
    public static readonly PoolFactory Default = new(null, null);

    public NpgsqlDataSource Create(string connectionString, string? cluster = null, int? partition = null, bool isProxyDatabase = false)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        configure?.Invoke(new PlProxyPoolContext(builder, cluster, partition, isProxyDatabase));
        return builder.Build();
    }
}
