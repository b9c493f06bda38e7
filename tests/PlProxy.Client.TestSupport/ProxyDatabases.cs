using Npgsql;
using PlProxy.Client.Testing;

namespace PlProxy.Client.TestSupport;

/// <summary>
/// PL/Proxy proxy databases for tests: every cluster defined by one versioned map (<c>plproxy.map</c>: version,
/// partition, connection string) through PL/Proxy's configuration functions, its newest version serving.
/// </summary>
public static class ProxyDatabases
{
    /// <summary>Creates database <paramref name="name"/> on <paramref name="server"/> serving version 1 of the map; returns its connection string.</summary>
    public static async Task<string> CreateAsync(LocalPostgresServer server, string name, string[] partitions, CancellationToken cancellationToken)
    {
        string proxy = await server.CreateDatabaseAsync(name, cancellationToken: cancellationToken);
        await server.ExecuteAsync(name, """
            create schema plproxy;
            create table plproxy.map (version int4, idx int4, connstr text);
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$ select max(version) from plproxy.map $$;
            create function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$
                select connstr from plproxy.map where version = (select max(version) from plproxy.map) order by idx $$;
            create function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
                select null::text, null::text where false $$;
            """, cancellationToken);
        await PublishMapAsync(proxy, 1, partitions, cancellationToken);
        return proxy;
    }

    /// <summary>Adds a version of the map, without notifying anyone.</summary>
    public static async Task PublishMapAsync(string proxy, int version, string[] partitions, CancellationToken cancellationToken)
    {
        await using var database = NpgsqlDataSource.Create(proxy);
        await using NpgsqlCommand command = database.CreateCommand("insert into plproxy.map select $1, i - 1, c from unnest($2::text[]) with ordinality u(c, i)");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = partitions });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A database of <paramref name="server"/> in libpq's form, as proxy databases list partitions.</summary>
    public static string Libpq(LocalPostgresServer server, string database) =>
        $"host={server.Host} port={server.Port} dbname={database} user={LocalPostgresServer.Superuser}";
}
