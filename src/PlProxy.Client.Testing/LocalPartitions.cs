using PlProxy.Client.Configuration;

namespace PlProxy.Client.Testing;

/// <summary>
/// Real partitions for integration tests and development: a throwaway <see cref="LocalPostgresServer"/> with N
/// partition databases, each set up by the same script, ready to be registered as a cluster. Disposing it stops the
/// server and deletes everything.
/// </summary>
public sealed class LocalPartitions : IAsyncDisposable
{
    private LocalPartitions(LocalPostgresServer server, string[] databases, string[] connectionStrings)
    {
        Server = server;
        Databases = databases;
        ConnectionStrings = connectionStrings;
    }

    /// <summary>The server the partitions live on.</summary>
    public LocalPostgresServer Server { get; }

    /// <summary>The partition databases' names, partition 0 first.</summary>
    public IReadOnlyList<string> Databases { get; }

    /// <summary>The partitions' connection strings, partition 0 first.</summary>
    public IReadOnlyList<string> ConnectionStrings { get; }

    /// <summary>Starts a server, creates <paramref name="count"/> databases named <paramref name="prefix"/>0, 1 ... and runs <paramref name="setupSql"/> in each.</summary>
    /// <param name="count">The number of partitions.</param>
    /// <param name="setupSql">The schema and functions every partition gets (null for none).</param>
    /// <param name="prefix">The database name prefix.</param>
    /// <param name="options">Server settings.</param>
    /// <param name="cancellationToken">Cancels the set-up.</param>
    /// <returns>The running partitions.</returns>
    /// <exception cref="InvalidOperationException">PostgreSQL is not installed or did not start; the message says how to install it.</exception>
    public static async Task<LocalPartitions> StartAsync(int count, string? setupSql = null, string prefix = "part", LocalPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        LocalPostgresServer server = await LocalPostgresServer.StartAsync(options, cancellationToken).ConfigureAwait(false);
        try
        {
            string[] databases = [.. Enumerable.Range(0, count).Select(i => $"{prefix}{i}")];
            var connectionStrings = new string[count];
            for (int i = 0; i < count; i++)
            {
                connectionStrings[i] = await server.CreateDatabaseAsync(databases[i], cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!string.IsNullOrWhiteSpace(setupSql))
                {
                    await server.ExecuteAsync(databases[i], setupSql, cancellationToken).ConfigureAwait(false);
                }
            }

            return new LocalPartitions(server, databases, connectionStrings);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Adds these partitions to <paramref name="options"/> as the cluster <paramref name="cluster"/>.</summary>
    /// <param name="options">The options.</param>
    /// <param name="cluster">The cluster name.</param>
    /// <param name="configure">Further cluster options.</param>
    /// <returns>The options.</returns>
    public PlProxyOptions AddTo(PlProxyOptions options, string cluster, Action<PlProxyClusterOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.AddCluster(cluster, c =>
        {
            foreach (string connectionString in ConnectionStrings)
            {
                c.Partitions.Add(connectionString);
            }

            configure?.Invoke(c);
        });
    }

    /// <summary>Stops the server and deletes the partitions.</summary>
    /// <returns>A task that completes when everything is gone.</returns>
    public ValueTask DisposeAsync() => Server.DisposeAsync();
}
