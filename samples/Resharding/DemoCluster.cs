using Npgsql;
using PlProxy.Client.Partconf;
using PlProxy.Client.Testing;

namespace Resharding;

/// <summary>
/// A cluster 'users' to split and move: partition databases with partconf and a table of writes, spare empty databases
/// to split or move into, and a proxy database whose map plproxy can switch (<c>plproxy.cluster_map</c>).
/// </summary>
public sealed record DemoCluster(string Proxy, string[] Partitions, string[] Spares)
{
    /// <summary>What every partition database holds: the writes, declared partitioned by key, and the function the proxy calls.</summary>
    public const string PartitionSchema = """
        create table writes (id text primary key, key text not null, written_at timestamptz not null default clock_timestamp());
        create trigger writes_partition before insert or update on writes for each row execute function partconf.valid_hash('key');
        create function record_write(i_id text, i_key text) returns text language plpgsql as $$
        begin
            perform partconf.check_hash(hashtext(i_key));   -- refuses (PX001) a key this database does not own, before writing
            insert into writes (id, key) values (i_id, i_key);
            return i_id;
        end $$;
        """;

    /// <summary>The proxy database's definition of the cluster: a versioned map, its newest version serving.</summary>
    public const string ProxySchema = """
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
        """;

    /// <summary>Server settings the split and move need: logical replication, with room for a copy per new database.</summary>
    public static LocalPostgresOptions ServerOptions()
    {
        var options = new LocalPostgresOptions();
        options.Settings["wal_level"] = "logical";
        options.Settings["max_replication_slots"] = "64";
        options.Settings["max_wal_senders"] = "64";
        options.Settings["max_worker_processes"] = "48";
        options.Settings["max_logical_replication_workers"] = "32";
        options.Settings["wal_writer_delay"] = "10ms"; // the copy sends flushed WAL only: a short fence needs a prompt WAL writer
        options.Settings["wal_retrieve_retry_interval"] = "200ms"; // table copies start without the default 5 s pause
        return options;
    }

    /// <summary>Creates the cluster (<paramref name="partitions"/> databases named prefix0 ...) and <paramref name="spares"/> empty databases on <paramref name="server"/>.</summary>
    public static Task<DemoCluster> CreateAsync(LocalPostgresServer server, string prefix, int partitions, int spares, CancellationToken cancellationToken = default) =>
        CreateAsync([server], prefix, partitions, spares, cancellationToken);

    /// <summary>
    /// Creates the cluster over several servers: database i (partitions first, then the spares) on server i modulo
    /// their count, the proxy database on the first.
    /// </summary>
    public static async Task<DemoCluster> CreateAsync(IReadOnlyList<LocalPostgresServer> servers, string prefix, int partitions, int spares, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(servers);
        string[] all = [.. Enumerable.Range(0, partitions + spares).Select(i => $"{prefix}{i}")];
        LocalPostgresServer ServerOf(int database) => servers[database % servers.Count];
        for (int i = 0; i < all.Length; i++)
        {
            await ServerOf(i).CreateDatabaseAsync(all[i], cancellationToken: cancellationToken);
        }

        LocalPostgresServer server = servers[0];
        string proxy = await server.CreateDatabaseAsync($"{prefix}_proxy", cancellationToken: cancellationToken);
        await server.ExecuteAsync($"{prefix}_proxy", ProxySchema, cancellationToken);
        string[] map = [.. all.Take(partitions).Select((d, i) => Libpq(ServerOf(i), d))];
        await using (var database = NpgsqlDataSource.Create(proxy))
        await using (NpgsqlCommand publish = database.CreateCommand("insert into plproxy.cluster_map select 'users', 1, i - 1, c from unnest($1::text[]) with ordinality u(c, i)"))
        {
            publish.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = map });
            await publish.ExecuteNonQueryAsync(cancellationToken);
        }

        await PartconfDatabase.InstallClusterAsync(proxy, "users", cancellationToken);
        for (int i = 0; i < partitions; i++)
        {
            await ServerOf(i).ExecuteAsync(all[i], PartitionSchema, cancellationToken);
        }

        return new DemoCluster(proxy, map, [.. all.Skip(partitions).Select((d, i) => Libpq(ServerOf(partitions + i), d))]);
    }

    /// <summary>A partition entry in libpq's form (<c>host=... port=... dbname=... user=...</c>) as an Npgsql connection string.</summary>
    public static string NpgsqlConnectionString(string libpq)
    {
        ArgumentNullException.ThrowIfNull(libpq);
        return string.Join(';', libpq.Split(' ').Select(p => p.Split('=', 2)).Select(p => (p[0] switch { "dbname" => "Database", "user" => "Username", var k => k }) + "=" + p[1]));
    }

    /// <summary>A database of <paramref name="server"/> in libpq's form, as proxy databases list partitions.</summary>
    public static string Libpq(LocalPostgresServer server, string database)
    {
        ArgumentNullException.ThrowIfNull(server);
        return $"host={server.Host} port={server.Port} dbname={database} user={LocalPostgresServer.Superuser}";
    }
}
