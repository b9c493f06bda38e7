using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

[assembly: AssemblyFixture(typeof(PlProxy.Client.IntegrationTests.UserDbFixture))]


namespace PlProxy.Client.IntegrationTests;

/// <summary>
/// Four partition databases on a throwaway PostgreSQL, users seeded so that each lives only in its hash partition,
/// the generated <see cref="IUserDb"/> over them through DI, and a PL/Proxy proxy database over the same
/// partitions with the same functions, for differential tests.
/// </summary>
public sealed class UserDbFixture : IAsyncLifetime
{
    /// <summary>
    /// The test collection of every class that uses the shared partitions: some tests write to them (and undo it)
    /// while the differential tests read them, so they run one at a time.
    /// </summary>
    public const string Collection = "UserDb partitions";

    public const int PartitionCount = 4;

    private const string PartitionSchema = """
        create type mood as enum ('sad', 'very_happy');
        create table users (username text primary key, balance numeric not null default 0, currency text not null default 'EUR', email text);
        create function get_balance(i_username text) returns numeric language sql as $$ select balance from users where username = i_username $$;
        create function get_user(i_username text) returns users language sql as $$ select * from users where username = i_username $$;
        create function get_stats() returns table(db text, user_count int8, total numeric) language sql
            as $$ select current_database()::text, count(*), coalesce(sum(balance), 0) from users $$;
        create function any_database() returns text language sql as $$ select current_database()::text $$;
        create function add_balances(i_usernames text[], i_amounts numeric[]) returns setof text language sql as $$
            update users u set balance = u.balance + x.amount from unnest(i_usernames, i_amounts) x(username, amount)
            where u.username = x.username returning u.username $$;
        create function user_email(i_username text) returns text language sql as $$ select email from users where username = i_username $$;
        create function get_balances(i_usernames text[]) returns table(username text, balance numeric) language sql as $$
            select u.username, u.balance from unnest(i_usernames) with ordinality x(n, i) join users u on u.username = x.n order by x.i $$;
        create function raise_error(i_username text, i_state text) returns int language plpgsql as $$
            begin raise exception 'failing for %', i_username using errcode = i_state, detail = 'some detail', hint = 'some hint'; end $$;
        create function echo_types(a int2, b int4, c int8, d bool, e numeric, f float8, g float4, h uuid, i timestamptz, j date, k time,
            l bytea, m text[], n int4[], o text, p interval, q timestamptz, r int4, s varchar)
            returns table(a int2, b int4, c int8, d bool, e numeric, f float8, g float4, h uuid, i timestamptz, j date, k time,
            l bytea, m text[], n int4[], o text, p interval, q timestamptz, r int4, s varchar)
            language sql as $$ select a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p, q, r, s $$;
        create function set_email(i_username text, i_email text) returns void language sql as $$ update users set email = i_email where username = i_username $$;
        create sequence calls;
        create function note_call() returns int8 language sql as $$ select nextval('calls') $$;
        """;

    private const string ProxySchema = """
        create extension plproxy;
        create schema plproxy;
        create table plproxy.partitions (idx int primary key, connstr text);
        create function plproxy.get_cluster_version(cluster_name text) returns int4 language sql as $$ select 1 $$;
        create function plproxy.get_cluster_partitions(cluster_name text) returns setof text language sql as $$ select connstr from plproxy.partitions order by idx $$;
        create function plproxy.get_cluster_config(in cluster_name text, out key text, out val text) returns setof record language sql as $$ select null::text, null::text where false $$;
        create type users as (username text, balance numeric, currency text, email text);
        create function get_balance(username text) returns numeric as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
        create function get_user(username text) returns users as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
        create function get_stats() returns table(db text, user_count int8, total numeric) as $$ cluster 'userdb'; run on all; $$ language plproxy;
        create function get_balances(usernames text[]) returns table(username text, balance numeric)
            as $$ cluster 'userdb'; split usernames; run on hashtext(usernames); $$ language plproxy;
        create function raise_error(username text, sqlstate text) returns int as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
        create function hash_pair(u text) returns setof int4 language sql as $$ select hashtext(u) union all select hashtext(u || 'x') $$;
        create function where_pair(username text) returns setof text as $$ cluster 'userdb'; run on hash_pair(username); select current_database()::text; $$ language plproxy;
        """;

    private LocalPostgresServer? _server;
    private ServiceProvider? _services;

    public LocalPostgresServer Server => _server!;

    /// <summary>The generated proxy, from DI.</summary>
    public IUserDb Db => _services!.GetRequiredService<IUserDb>();

    /// <summary>The service provider the README's set-up builds.</summary>
    public IServiceProvider Services => _services!;

    /// <summary>The PL/Proxy proxy database over the same partitions.</summary>
    public NpgsqlDataSource PlProxy { get; private set; } = null!;

    public string[] PartitionConnectionStrings { get; private set; } = [];

    /// <summary>Every seeded user, with the partition it lives in and its balance.</summary>
    public IReadOnlyList<(string Username, int Partition, decimal Balance, string? Email)> Users { get; private set; } = [];

    public static string PartitionDatabase(int index) => $"part{index}";

    /// <summary>
    /// Another PL/Proxy proxy database over the same partitions (cluster 'userdb', from PL/Proxy's configuration
    /// functions), made from template0 with <paramref name="encodingAndLocale"/> (the CREATE DATABASE clauses), then
    /// <paramref name="functions"/>; its connection string. <paramref name="partitionSettings"/> is appended to each partition's libpq string.
    /// </summary>
    public async Task<string> CreateProxyDatabaseAsync(string encodingAndLocale, string functions, CancellationToken cancellationToken, string partitionSettings = "")
    {
        string name = $"proxy_{Guid.NewGuid():N}"[..22];
        await Server.ExecuteAsync("postgres", $"create database {name} template template0 {encodingAndLocale}", cancellationToken);
        string partitions = string.Join(", ", Enumerable.Range(0, PartitionCount).Select(i => $"'host={Server.Host} port={Server.Port} dbname={PartitionDatabase(i)} user={LocalPostgresServer.Superuser}{partitionSettings}'"));
        await Server.ExecuteAsync(name, $"""
            create extension plproxy;
            create schema plproxy;
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$ select 1 $$;
            create function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$ select unnest(array[{partitions}]) $$;
            create function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
                select null::text, null::text where false $$;
            {functions}
            """, cancellationToken);
        return Server.ConnectionString(name);
    }

    public async ValueTask InitializeAsync()
    {
        _server = await LocalPostgresServer.StartAsync();
        PartitionConnectionStrings = new string[PartitionCount];
        for (int i = 0; i < PartitionCount; i++)
        {
            PartitionConnectionStrings[i] = await _server.CreateDatabaseAsync(PartitionDatabase(i));
            await _server.ExecuteAsync(PartitionDatabase(i), PartitionSchema);
        }

        PartitionDirectory.ConnectionStrings = PartitionConnectionStrings;
        var users = new List<(string, int, decimal, string?)>();
        string[] names = [.. Enumerable.Range(0, 200).Select(i => $"user{i}"), .. Enumerable.Range(0, 20).Select(i => $"ünïcødé-{i}"), .. Enumerable.Range(0, 20).Select(i => $"日本語-{i}-🐘")];
        foreach ((string name, int i) in names.Select((n, i) => (n, i)))
        {
            int partition = Partitions.IndexOf(PgHash.HashText(name), PartitionCount);
            decimal balance = i * 10.5m;
            string? email = i % 2 == 0 ? $"{name}@example.com" : null;
            users.Add((name, partition, balance, email));
        }

        Users = users;
        for (int partition = 0; partition < PartitionCount; partition++)
        {
            await using var dataSource = NpgsqlDataSource.Create(PartitionConnectionStrings[partition]);
            await using NpgsqlCommand insert = dataSource.CreateCommand("insert into users (username, balance, email) select * from unnest($1::text[], $2::numeric[], $3::text[])");
            var mine = users.Where(u => u.Item2 == partition).ToList();
            insert.Parameters.Add(new NpgsqlParameter { Value = mine.Select(u => u.Item1).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = mine.Select(u => u.Item3).ToArray() });
            insert.Parameters.Add(new NpgsqlParameter { Value = mine.Select(u => u.Item4).ToArray() });
            await insert.ExecuteNonQueryAsync();
        }

        string proxy = await _server.CreateDatabaseAsync("proxy");
        await _server.ExecuteAsync("proxy", ProxySchema + string.Concat(Enumerable.Range(0, PartitionCount).Select(i =>
            $"insert into plproxy.partitions values ({i}, 'host={_server.Host} port={_server.Port} dbname={PartitionDatabase(i)} user={LocalPostgresServer.Superuser}');")));
        PlProxy = NpgsqlDataSource.Create(proxy);

        // The README's set-up.
        var services = new ServiceCollection();
        // Npgsql redacts remote error details unless the connection string allows them.
        services.AddPlProxy(options => options.AddCluster("userdb", [.. PartitionConnectionStrings.Select(cs => cs + ";Include Error Detail=true")]))
            .AddProxy<IUserDb>();
        _services = services.BuildServiceProvider();
    }

    public async ValueTask DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        if (PlProxy is not null)
        {
            await PlProxy.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
