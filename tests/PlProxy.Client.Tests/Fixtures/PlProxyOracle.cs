using System.Text;
using Npgsql;
using PlProxy.Client.Testing;

namespace PlProxy.Client.Tests.Fixtures;

/// <summary>
/// The real PL/Proxy extension as the oracle: a proxy database with PL/Proxy's cluster configuration functions and
/// eight partition databases on the test server. Clusters are defined in a table the configuration functions read.
/// </summary>
public sealed class PlProxyOracle
{
    public const string ProxyDatabase = "plproxy_proxy";
    public const int PartitionCount = 8;

    private readonly LocalPostgresServer _server;

    private PlProxyOracle(LocalPostgresServer server, NpgsqlDataSource proxy)
    {
        _server = server;
        Proxy = proxy;
    }

    /// <summary>The proxy database (PL/Proxy installed).</summary>
    public NpgsqlDataSource Proxy { get; }

    /// <summary>The name of partition database <paramref name="index"/>.</summary>
    public static string PartitionDatabase(int index) => $"plproxy_part{index}";

    /// <summary>The libpq connection string PL/Proxy uses for partition <paramref name="index"/>.</summary>
    public string PartitionConnectionString(int index) =>
        $"host={_server.Host} port={_server.Port} dbname={PartitionDatabase(index)} user={LocalPostgresServer.Superuser}";

    /// <summary>The database a libpq connection string names.</summary>
    public static string DatabaseOf(string connectionString) =>
        connectionString.Split(' ').Single(part => part.StartsWith("dbname=", StringComparison.Ordinal))["dbname=".Length..];

    internal static async Task<PlProxyOracle> CreateAsync(LocalPostgresServer server)
    {
        for (int i = 0; i < PartitionCount; i++)
        {
            await server.CreateDatabaseAsync(PartitionDatabase(i));
        }

        string proxyConnectionString = await server.CreateDatabaseAsync(ProxyDatabase);
        await server.ExecuteAsync(ProxyDatabase, """
            create extension plproxy;
            create schema plproxy;
            create table plproxy.partitions (cluster_name text, idx int, connstr text, primary key (cluster_name, idx));
            create table plproxy.options (cluster_name text, key text, val text);
            create function plproxy.get_cluster_version(cluster_name text) returns int4 language sql as $$ select 1 $$;
            create function plproxy.get_cluster_partitions(cluster_name text) returns setof text language plpgsql as $$
            begin
                if not exists (select 1 from plproxy.partitions p where p.cluster_name = get_cluster_partitions.cluster_name) then
                    raise exception 'no such cluster: %', cluster_name;
                end if;
                return query select connstr from plproxy.partitions p where p.cluster_name = get_cluster_partitions.cluster_name order by idx;
            end $$;
            create function plproxy.get_cluster_config(in cluster_name text, out key text, out val text) returns setof record language sql as $$
                select key, val from plproxy.options o where o.cluster_name = get_cluster_config.cluster_name
            $$;
            """);

        var oracle = new PlProxyOracle(server, NpgsqlDataSource.Create(proxyConnectionString));
        await oracle.DefineClusterAsync("mask8", [.. Enumerable.Range(0, 8).Select(oracle.PartitionConnectionString)]);
        await oracle.DefineClusterAsync("mod5", [.. Enumerable.Range(0, 5).Select(oracle.PartitionConnectionString)], modular: true);
        await oracle.DefineClusterAsync("dup4", [.. new[] { 0, 1, 0, 1 }.Select(oracle.PartitionConnectionString)]);
        return oracle;
    }

    /// <summary>The partition connection strings of a cluster defined by the fixture.</summary>
    public async Task<string[]> PartitionsAsync(string cluster)
    {
        await using NpgsqlCommand command = Proxy.CreateCommand("select connstr from plproxy.partitions where cluster_name = $1 order by idx");
        command.Parameters.Add(new NpgsqlParameter { Value = cluster });
        var partitions = new List<string>();
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            partitions.Add(reader.GetString(0));
        }

        return [.. partitions];
    }

    /// <summary>Runs SQL in the proxy database.</summary>
    public async Task ExecuteAsync(string sql)
    {
        await using NpgsqlCommand command = Proxy.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private async Task DefineClusterAsync(string name, string[] partitions, bool modular = false)
    {
        var sql = new StringBuilder();
        for (int i = 0; i < partitions.Length; i++)
        {
            sql.Append($"insert into plproxy.partitions values ('{name}', {i}, '{partitions[i]}');");
        }

        if (modular)
        {
            sql.Append($"insert into plproxy.options values ('{name}', 'modular_mapping', '1');");
        }

        await ExecuteAsync(sql.ToString());
    }
}
