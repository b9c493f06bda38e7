using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>One local PostgreSQL with logical replication for the split and move tests; each test makes its own cluster.</summary>
public sealed class ReshardFixture : IAsyncLifetime
{
    public const string Collection = "resharding";

    private int _clusters;

    public LocalPostgresServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await LocalPostgresServer.StartAsync(DemoCluster.ServerOptions(), TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A new cluster 'users' of <paramref name="partitions"/> databases with <paramref name="spares"/> empty ones.</summary>
    public Task<DemoCluster> ClusterAsync(int partitions, int spares, CancellationToken cancellationToken) =>
        DemoCluster.CreateAsync(Server, $"rs{Interlocked.Increment(ref _clusters)}_", partitions, spares, cancellationToken);

    /// <summary>Writes <paramref name="keys"/> (ids "seed-key") through each key's partition, as the client routes them under <paramref name="map"/>.</summary>
    public static async Task SeedAsync(string[] map, IEnumerable<string> keys, CancellationToken cancellationToken)
    {
        foreach (IGrouping<int, string> partition in keys.GroupBy(k => Partitions.IndexOf(PgHash.HashText(k), map.Length)))
        {
            await using var database = NpgsqlDataSource.Create(ConnectionString(map[partition.Key]));
            await using NpgsqlCommand insert = database.CreateCommand("select record_write('seed-' || k, k) from unnest($1::text[]) k");
            insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. partition] });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Every row of table writes on each database of <paramref name="map"/> (database index, id, key).</summary>
    public static async Task<List<(int Database, string Id, string Key)>> RowsAsync(IReadOnlyList<string> map, CancellationToken cancellationToken)
    {
        var rows = new List<(int, string, string)>();
        for (int i = 0; i < map.Count; i++)
        {
            await using var database = NpgsqlDataSource.Create(ConnectionString(map[i]));
            await using NpgsqlCommand select = database.CreateCommand("select id, key from writes");
            await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                rows.Add((i, reader.GetString(0), reader.GetString(1)));
            }
        }

        return rows;
    }

    /// <summary>The user tables of each database (outside the system schemas).</summary>
    public static async Task<List<string>> TablesAsync(IEnumerable<string> databases, CancellationToken cancellationToken)
    {
        var tables = new List<string>();
        foreach (string libpq in databases)
        {
            await using var database = NpgsqlDataSource.Create(ConnectionString(libpq));
            await using NpgsqlCommand select = database.CreateCommand(
                "select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where c.relkind in ('r', 'p', 'v', 'S') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname !~ '^pg_toast'");
            await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                tables.Add($"{libpq}: {reader.GetString(0)}");
            }
        }

        return tables;
    }

    /// <summary>The partition list the proxy database serves for 'users' now.</summary>
    public static async Task<string[]> MapAsync(string proxy, CancellationToken cancellationToken)
    {
        await using var database = NpgsqlDataSource.Create(proxy);
        await using NpgsqlCommand select = database.CreateCommand("select array(select plproxy.get_cluster_partitions('users'))");
        return (string[])(await select.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Replication slots left on the databases of <paramref name="cluster"/> (a test's own, so one test's failure
    /// is not counted against the next), and operations recorded in its proxy database.
    /// </summary>
    public async Task<(long Slots, long Operations)> LeftoversAsync(DemoCluster cluster, CancellationToken cancellationToken)
    {
        string[] databases = [.. cluster.Partitions.Concat(cluster.Spares).Select(p => new NpgsqlConnectionStringBuilder(ConnectionString(p)).Database!)];
        await using var server = NpgsqlDataSource.Create(Server.ConnectionString());
        await using NpgsqlCommand slots = server.CreateCommand("select count(*) from pg_replication_slots where database = any($1) and (slot_name like 'plproxy%' or slot_name like 'pg_%_sync_%')");
        slots.Parameters.Add(new NpgsqlParameter { Value = databases });
        long slotCount = (long)(await slots.ExecuteScalarAsync(cancellationToken))!;
        await using var database = NpgsqlDataSource.Create(cluster.Proxy);
        await using NpgsqlCommand recorded = database.CreateCommand("select to_regclass('plproxy_tool.operation') is not null");
        if (!(bool)(await recorded.ExecuteScalarAsync(cancellationToken))!)
        {
            return (slotCount, 0);
        }

        await using NpgsqlCommand operations = database.CreateCommand("select count(*) from plproxy_tool.operation");
        return (slotCount, (long)(await operations.ExecuteScalarAsync(cancellationToken))!);
    }

    /// <summary>A libpq partition string as an Npgsql connection string.</summary>
    public static string ConnectionString(string libpq) => DemoCluster.NpgsqlConnectionString(libpq);
}

[CollectionDefinition(ReshardFixture.Collection)]
public sealed class ReshardCollection : ICollectionFixture<ReshardFixture>;
