using Npgsql;
using PlProxy.Client.Testing;

namespace PlProxy.Client.TestSupport;

/// <summary>
/// PL/Proxy proxy databases for tests: clusters defined through PL/Proxy's configuration functions by the versioned map
/// <c>plproxy split</c> and <c>move</c> switch (<c>plproxy.cluster_map</c>: cluster, version, partition, connection
/// string), each cluster's newest version serving.
/// </summary>
public static class ProxyDatabases
{
    /// <summary>Creates database <paramref name="name"/> on <paramref name="server"/> serving version 1 of <paramref name="cluster"/>; returns its connection string.</summary>
    public static async Task<string> CreateAsync(LocalPostgresServer server, string name, string cluster, string[] partitions, CancellationToken cancellationToken)
    {
        string proxy = await server.CreateDatabaseAsync(name, cancellationToken: cancellationToken);
        await server.ExecuteAsync(name, """
            create schema plproxy;
            create table plproxy.cluster_map (cluster_name text, version int4, part_nr int4, connstr text, primary key (cluster_name, version, part_nr));
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$
                select max(version) from plproxy.cluster_map where cluster_name = i_cluster $$;
            create function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$
                select connstr from plproxy.cluster_map
                where cluster_name = i_cluster and version = (select max(version) from plproxy.cluster_map where cluster_name = i_cluster)
                order by part_nr $$;
            create function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
                select null::text, null::text where false $$;
            """, cancellationToken);
        await PublishMapAsync(proxy, cluster, 1, partitions, cancellationToken);
        return proxy;
    }

    /// <summary>Adds a version of the map, without notifying anyone.</summary>
    public static async Task PublishMapAsync(string proxy, string cluster, int version, string[] partitions, CancellationToken cancellationToken)
    {
        await using var database = NpgsqlDataSource.Create(proxy);
        await using NpgsqlCommand command = database.CreateCommand("insert into plproxy.cluster_map select $1, $2, i - 1, c from unnest($3::text[]) with ordinality u(c, i)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = cluster });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = partitions });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A database of <paramref name="server"/> in libpq's form, as proxy databases list partitions.</summary>
    public static string Libpq(LocalPostgresServer server, string database) =>
        $"host={server.Host} port={server.Port} dbname={database} user={LocalPostgresServer.Superuser}";
}
