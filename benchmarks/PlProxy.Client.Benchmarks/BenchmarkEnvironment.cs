using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.Benchmarks;

[PlProxy("CLUSTER 'userdb';")]
public interface IBenchUserDb
{
    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal?> GetBalanceAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; TARGET get_stats;")]
    Task<IReadOnlyList<long>> CountsAsync(CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 0; TARGET get_stats;")]
    Task<IReadOnlyList<long>> CountOnOneAsync(CancellationToken cancellationToken = default);
}

[PlProxy("CLUSTER 'wide';")]
public interface IBenchWide
{
    [PlProxy("RUN ON ALL; TARGET get_stats;")]
    Task<IReadOnlyList<long>> CountsAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One local PostgreSQL for every end-to-end benchmark of a run: 4 user partitions (seeded so each user lives in its
/// hash partition), 16 more for wide fan-out, a PL/Proxy proxy database over both, and a pgBouncer (statement mode) in
/// front of everything. Started once per process (benchmarks run in-process) and stopped at exit.
/// </summary>
public sealed class BenchmarkEnvironment
{
    public const int Users = 10_000;
    private const string Schema = """
        create table users (username text primary key, balance numeric not null);
        create function get_balance(i_username text) returns numeric language sql stable as $$ select balance from users where username = i_username $$;
        create function get_stats() returns setof int8 language sql stable as $$ select count(*) from users $$;
        create function slow_balance(i_username text, i_seconds float8) returns numeric language sql as $$
            select balance from users, pg_sleep(i_seconds) where username = i_username $$;
        """;

    private static readonly Lazy<BenchmarkEnvironment> Shared = new(() => StartAsync().GetAwaiter().GetResult());

    private BenchmarkEnvironment()
    {
    }

    public static BenchmarkEnvironment Instance => Shared.Value;

    public string[] Usernames { get; private set; } = [];

    public NpgsqlDataSource[] HandRouted { get; private set; } = [];

    public NpgsqlDataSource[] HandRoutedPooled { get; private set; } = [];

    /// <summary>Hand-routed with the connection settings PlProxy.Client gives direct partitions (<see cref="Tuned"/>).</summary>
    public NpgsqlDataSource[] HandRoutedTuned { get; private set; } = [];

    /// <summary>The user partitions' connection strings (4 databases).</summary>
    public string[] Partitions { get; private set; } = [];

    /// <summary>Hand-routed, tuned, its pools capped at the library's default connections per partition.</summary>
    public NpgsqlDataSource[] HandRoutedCapped { get; private set; } = [];

    /// <summary>Hand-routed, tuned, with Npgsql's multiplexing: concurrent commands share connections and writes.</summary>
    public NpgsqlDataSource[] HandRoutedMultiplexing { get; private set; } = [];

    public PlProxyDataSource Client { get; private set; } = null!;

    public PlProxyDataSource ClientPooled { get; private set; } = null!;

    public NpgsqlDataSource ServerSide { get; private set; } = null!;

    public NpgsqlDataSource ServerSidePooled { get; private set; } = null!;

    /// <summary>The proxy database with the connection settings PlProxy.Client gives direct partitions (<see cref="Tuned"/>).</summary>
    public NpgsqlDataSource ServerSideTuned { get; private set; } = null!;

    /// <summary>
    /// What PlProxy.Client sets on direct partition connections unless told otherwise: automatic preparation, no reset
    /// on close, and no command timeout (PL/Proxy's calls have none but query_timeout). Through pgBouncer every
    /// contender already runs with No Reset On Close and without preparation.
    /// </summary>
    public static readonly string Tuned = $";Max Auto Prepare={Connections.ConnectionStrings.DefaultMaxAutoPrepare};No Reset On Close=true;Command Timeout=0";

    /// <summary>What a user would write by hand: hash, pick the partition's data source, run one command.</summary>
    public static Task<decimal?> HandRoutedBalanceAsync(NpgsqlDataSource[] partitions, string user) =>
        BalanceAsync(partitions[Hashing.Partitions.IndexOf(Hashing.PgHash.HashText(user), partitions.Length)], user);

    /// <summary>One <c>get_balance</c> on one database: a partition, or the proxy database (server-side PL/Proxy).</summary>
    public static async Task<decimal?> BalanceAsync(NpgsqlDataSource dataSource, string user)
    {
        await using NpgsqlCommand command = dataSource.CreateCommand("select get_balance($1)");
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = user });
        return await command.ExecuteScalarAsync().ConfigureAwait(false) as decimal?;
    }

    private static async Task<BenchmarkEnvironment> StartAsync()
    {
        var environment = new BenchmarkEnvironment();
        // Room for every pool of every contender at 32 callers, for PL/Proxy's own connections (each proxy backend
        // keeps one to each of the 20 partitions) and for pgBouncer's: the fan-out runs after the end-to-end cases.
        LocalPartitions partitions = await LocalPartitions.StartAsync(4, Schema, options: new LocalPostgresOptions { MaxConnections = 2000 });
        LocalPostgresServer server = partitions.Server;
        var wide = new List<string>();
        for (int i = 0; i < 16; i++)
        {
            wide.Add(await server.CreateDatabaseAsync($"wide{i}"));
            await server.ExecuteAsync($"wide{i}", Schema);
        }

        environment.Usernames = [.. Enumerable.Range(0, Users).Select(i => $"user{i}")];
        for (int p = 0; p < 4; p++)
        {
            string[] mine = [.. environment.Usernames.Where(u => Hashing.Partitions.IndexOf(Hashing.PgHash.HashText(u), 4) == p)];
            await using var seed = NpgsqlDataSource.Create(partitions.ConnectionStrings[p]);
            await using NpgsqlCommand insert = seed.CreateCommand("insert into users select u, 100 from unnest($1::text[]) u");
            insert.Parameters.Add(new NpgsqlParameter { Value = mine });
            await insert.ExecuteNonQueryAsync();
            await using NpgsqlCommand analyze = seed.CreateCommand("analyze users");
            await analyze.ExecuteNonQueryAsync();
        }

        string Libpq(string database) => $"host={server.Host} port={server.Port} dbname={database} user={LocalPostgresServer.Superuser}";
        string proxy = await server.CreateDatabaseAsync("proxy");
        await server.ExecuteAsync("proxy", $"""
            create extension plproxy;
            create schema plproxy;
            create function plproxy.get_cluster_version(c text) returns int4 language sql as $$ select 1 $$;
            create function plproxy.get_cluster_partitions(c text) returns setof text language sql as $$
                select case when c = 'userdb' then 'host={server.Host} port={server.Port} dbname=part' || i || ' user=postgres'
                            else 'host={server.Host} port={server.Port} dbname=wide' || i || ' user=postgres' end
                from generate_series(0, case when c = 'userdb' then 3 else 15 end) i $$;
            create function plproxy.get_cluster_config(in c text, out key text, out val text) returns setof record language sql as $$ select null::text, null::text where false $$;
            create function get_balance(username text) returns numeric as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function get_stats() returns setof int8 as $$ cluster 'userdb'; run on all; $$ language plproxy;
            create function get_wide_stats() returns setof int8 as $$ cluster 'wide'; run on all; target get_stats; $$ language plproxy;
            """);
        _ = Libpq("proxy");

        LocalPgBouncer bouncer = await LocalPgBouncer.StartAsync(server, PgBouncerPoolMode.Statement);
        environment.Partitions = [.. partitions.ConnectionStrings];
        environment.HandRouted = [.. partitions.ConnectionStrings.Select(cs => NpgsqlDataSource.Create(cs))];
        environment.HandRoutedTuned = [.. partitions.ConnectionStrings.Select(cs => NpgsqlDataSource.Create(cs + Tuned))];
        environment.HandRoutedCapped = [.. partitions.ConnectionStrings.Select(cs => NpgsqlDataSource.Create(cs + Tuned + $";Maximum Pool Size={PlProxyClusterOptionsDefaults.MaxConnectionsPerPartition}"))];
        environment.HandRoutedMultiplexing = [.. partitions.ConnectionStrings.Select(cs => NpgsqlDataSource.Create(cs + Tuned + ";Multiplexing=true"))];
        environment.HandRoutedPooled = [.. partitions.Databases.Select(d => NpgsqlDataSource.Create(bouncer.ConnectionString(d) + ";No Reset On Close=true"))];
        environment.Client = PlProxyDataSource.Create(partitions.AddTo(new PlProxyOptions(), "userdb").AddCluster("wide", [.. wide]));
        environment.ClientPooled = PlProxyDataSource.Create(new PlProxyOptions()
            .AddCluster("userdb", c =>
            {
                c.Pooler = PlProxyPooler.PgBouncerStatement;
                foreach (string d in partitions.Databases)
                {
                    c.Partitions.Add(bouncer.ConnectionString(d));
                }
            }));
        environment.ServerSide = NpgsqlDataSource.Create(proxy);
        environment.ServerSideTuned = NpgsqlDataSource.Create(proxy + Tuned);
        environment.ServerSidePooled = NpgsqlDataSource.Create(bouncer.ConnectionString("proxy") + ";No Reset On Close=true");

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            bouncer.DisposeAsync().AsTask().GetAwaiter().GetResult();
            partitions.DisposeAsync().AsTask().GetAwaiter().GetResult();
        };
        return environment;
    }
}
