using Npgsql;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.Testing;

/// <summary>
/// Real partitions for integration tests and development: N partition databases, each set up by the same script, ready
/// to be registered as a cluster — on a throwaway <see cref="LocalPostgresServer"/> (<see cref="StartAsync"/>), or on a
/// server that already runs (<see cref="CreateOnServerAsync"/>: a CI service container, Testcontainers, a developer's
/// server on macOS or Windows). Disposing it deletes everything it made.
/// </summary>
public sealed class LocalPartitions : IAsyncDisposable
{
    private readonly LocalPostgresServer? _server;
    private readonly string? _serverConnectionString;

    private LocalPartitions(LocalPostgresServer? server, string? serverConnectionString, string[] databases, string[] connectionStrings)
    {
        _server = server;
        _serverConnectionString = serverConnectionString;
        Databases = databases;
        ConnectionStrings = connectionStrings;
    }

    /// <summary>The throwaway server the partitions live on (<see cref="StartAsync"/>).</summary>
    /// <exception cref="InvalidOperationException">The partitions were created on an existing server (<see cref="CreateOnServerAsync"/>).</exception>
    public LocalPostgresServer Server => _server ?? throw new InvalidOperationException("These partitions live on an existing server (CreateOnServerAsync), not on a throwaway LocalPostgresServer.");

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

            return new LocalPartitions(server, null, databases, connectionStrings);
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates <paramref name="count"/> partition databases on the server <paramref name="serverConnectionString"/>
    /// connects to (a role allowed to create databases, connected to a maintenance database such as <c>postgres</c>),
    /// named <paramref name="prefix"/>0, 1 ... (by default a prefix of its own, <c>plproxy_&lt;random&gt;_p</c>, so runs
    /// in parallel never meet), and runs <paramref name="setupSql"/> in each. Disposing drops them (with FORCE).
    /// </summary>
    /// <param name="serverConnectionString">The server, in Npgsql's form (<c>Host=...;Username=...;Password=...;Database=postgres</c>).</param>
    /// <param name="count">The number of partitions.</param>
    /// <param name="setupSql">The schema and functions every partition gets (null for none).</param>
    /// <param name="prefix">The database name prefix; null for a random one.</param>
    /// <param name="cancellationToken">Cancels the set-up.</param>
    /// <returns>The partitions; databases already made are dropped again when the set-up fails.</returns>
    /// <exception cref="ArgumentException">The connection string cannot be read.</exception>
    public static async Task<LocalPartitions> CreateOnServerAsync(string serverConnectionString, int count, string? setupSql = null, string? prefix = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(serverConnectionString);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        string server = new NpgsqlConnectionStringBuilder(serverConnectionString) { Pooling = false }.ConnectionString;
        prefix ??= $"plproxy_{Guid.NewGuid().ToString("N")[..8]}_p";
        string[] databases = [.. Enumerable.Range(0, count).Select(i => $"{prefix}{i}")];
        var connectionStrings = new string[count];
        var partitions = new LocalPartitions(null, server, databases, connectionStrings);
        try
        {
            for (int i = 0; i < count; i++)
            {
                await RunAsync(server, $"CREATE DATABASE {LocalPostgresServer.QuoteIdentifier(databases[i])}", cancellationToken).ConfigureAwait(false);
                var builder = new NpgsqlConnectionStringBuilder(server) { Database = databases[i], Pooling = true };
                connectionStrings[i] = builder.ConnectionString;
                if (!string.IsNullOrWhiteSpace(setupSql))
                {
                    await RunAsync(new NpgsqlConnectionStringBuilder(server) { Database = databases[i] }.ConnectionString, setupSql, cancellationToken).ConfigureAwait(false);
                }
            }

            return partitions;
        }
        catch
        {
            await partitions.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task RunAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>Deletes the partitions: stops the throwaway server, or drops the databases made on an existing one.</summary>
    /// <returns>A task that completes when everything is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync().ConfigureAwait(false);
            return;
        }

        NpgsqlConnection.ClearAllPools(); // pooled connections of the test would hold the databases open
        foreach (string database in Databases)
        {
            await RunAsync(_serverConnectionString!, $"DROP DATABASE IF EXISTS {LocalPostgresServer.QuoteIdentifier(database)} WITH (FORCE)", CancellationToken.None).ConfigureAwait(false);
        }
    }
}
