using Npgsql;
using PlProxy.Client.Testing;

[assembly: AssemblyFixture(typeof(PlProxy.Client.Tests.Fixtures.PostgresServerFixture))]

namespace PlProxy.Client.Tests.Fixtures;

/// <summary>
/// One throwaway PostgreSQL 15 server for the whole test assembly, started on a loopback port when a test first asks
/// for a database (a run of tests that need none starts no server, as mutation testing's many small runs do) and
/// deleted at the end. Tests ask it for databases by name; each is created once.
/// </summary>
public sealed class PostgresServerFixture : IAsyncLifetime
{
    private readonly Dictionary<string, Task<NpgsqlDataSource>> _databases = new(StringComparer.Ordinal);
    private readonly Lazy<Task<LocalPostgresServer>> _server = new(() => LocalPostgresServer.StartAsync());
    private readonly Lazy<Task<PlProxyOracle>> _plProxy;

    public PostgresServerFixture() => _plProxy = new(async () => await PlProxyOracle.CreateAsync(await _server.Value));

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    /// <summary>A data source for <paramref name="name"/>, creating the database on first use.</summary>
    public Task<NpgsqlDataSource> DatabaseAsync(string name, string encoding = "UTF8")
    {
        lock (_databases)
        {
            if (!_databases.TryGetValue(name, out Task<NpgsqlDataSource>? database))
            {
                database = CreateAsync(name, encoding);
                _databases.Add(name, database);
            }

            return database;
        }
    }

    /// <summary>The PL/Proxy oracle (proxy and partition databases), set up on first use.</summary>
    public Task<PlProxyOracle> PlProxyAsync() => _plProxy.Value;

    public async ValueTask DisposeAsync()
    {
        if (_plProxy.IsValueCreated && _plProxy.Value.IsCompletedSuccessfully)
        {
            await _plProxy.Value.Result.Proxy.DisposeAsync();
        }

        List<Task<NpgsqlDataSource>> databases;
        lock (_databases)
        {
            databases = [.. _databases.Values];
        }

        foreach (Task<NpgsqlDataSource> database in databases)
        {
            if (database.IsCompletedSuccessfully)
            {
                await database.Result.DisposeAsync();
            }
        }

        if (_server.IsValueCreated && _server.Value.IsCompletedSuccessfully)
        {
            await _server.Value.Result.DisposeAsync();
        }
    }

    private async Task<NpgsqlDataSource> CreateAsync(string name, string encoding)
    {
        string connectionString = await (await _server.Value).CreateDatabaseAsync(name, encoding);
        return NpgsqlDataSource.Create(connectionString);
    }
}
