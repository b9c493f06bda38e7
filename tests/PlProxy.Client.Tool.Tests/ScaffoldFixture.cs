using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace PlProxy.Client.Scaffold.Tests;

/// <summary>
/// Four partitions with the remote functions, a PL/Proxy proxy database over them holding the proxy functions (the
/// oracle), the tool run against it, and its output compiled in memory with the generator and bound to the
/// partitions through the appsettings fragment it wrote.
/// </summary>
public sealed class ScaffoldFixture : IAsyncLifetime
{
    public const int UserCount = 64;

    private const string PartitionSchema = """
        create type mood as enum ('sad', 'ok', 'very_happy');
        create domain d_username as text check (value <> '');
        create table users (username text primary key, balance numeric not null, currency text not null, email varchar(100),
                            mood mood, created timestamp, code char(4));
        create type user_row as (username text, balance numeric, email varchar);
        create function db_name() returns text language sql as $$ select current_database()::text $$;
        create function get_balance(username text) returns numeric language sql as $$ select balance from users u where u.username = $1 $$;
        create function get_balance(username text, currency text) returns numeric language sql as
            $$ select balance from users u where u.username = $1 and u.currency = $2 $$;
        create function get_user(username text) returns user_row language sql as
            $$ select u.username, u.balance, u.email from users u where u.username = $1 $$;
        create function get_users(usernames text[]) returns setof user_row language sql as
            $$ select u.username, u.balance, u.email from users u where u.username = any($1) $$;
        create function user_count() returns setof int8 language sql as $$ select count(*) from users $$;
        create function partition_stats(out db text, out users int8) returns setof record language sql as
            $$ select current_database()::text, count(*) from users $$;
        create function set_email(username text, email varchar) returns void language sql as
            $$ update users u set email = $2 where u.username = $1 $$;
        create function get_mood(username text) returns mood language sql as $$ select mood from users u where u.username = $1 $$;
        create function set_mood(username text, m mood) returns mood language sql as
            $$ update users u set mood = $2 where u.username = $1 returning mood $$;
        create function get_created(username text) returns timestamp language sql as $$ select created from users u where u.username = $1 $$;
        create function get_code(username text) returns char(4) language sql as $$ select code from users u where u.username = $1 $$;
        create function balance_of(u d_username) returns numeric language sql as $$ select balance from users x where x.username = $1 $$;
        create function echo_ints(xs int4[]) returns int4[] language sql as $$ select array_append($1, array_length($1, 1)) $$;
        create schema ops;
        create function ops.balance_ops(username text) returns numeric language sql as $$ select balance * 2 from users u where u.username = $1 $$;
        create function echo_json(j jsonb) returns jsonb language sql as $$ select $1 || jsonb_build_object('db', current_database()) $$;
        create function echo_uuid(id uuid) returns uuid language sql as $$ select $1 $$;
        create function name_by_id(id int8) returns text language sql as $$ select 'id ' || $1 || ' on ' || current_database() $$;
        create function swap(inout x int4, out y text) language sql as $$ select $1 * 10, current_database()::text $$;
        create function user_table(min_balance numeric) returns table (username text, balance numeric) language sql as
            $$ select u.username, u.balance from users u where u.balance >= $1 $$;
        """;

    private string _output = "";

    /// <summary>The server, its partitions and the proxy database.</summary>
    public LocalPartitions Partitions { get; private set; } = null!;

    /// <summary>The proxy database: server-side PL/Proxy, the oracle.</summary>
    public NpgsqlDataSource Proxy { get; private set; } = null!;

    /// <summary>The proxy database's connection string.</summary>
    public string ProxyConnectionString { get; private set; } = "";

    /// <summary>The tool's exit code and console output.</summary>
    public (int ExitCode, string Output, string Error) Run { get; private set; }

    /// <summary>The files the tool wrote, by name.</summary>
    public IReadOnlyDictionary<string, string> Files { get; private set; } = new Dictionary<string, string>();

    /// <summary>The scaffolded code compiled with the generator.</summary>
    internal GeneratorHarness.Result Compiled { get; private set; } = null!;

    /// <summary>The data source built from the appsettings fragment.</summary>
    public PlProxyDataSource Client { get; private set; } = null!;

    /// <summary>The compiled assembly.</summary>
    public Assembly Assembly { get; private set; } = null!;

    public string[] Usernames { get; } = [.. Enumerable.Range(0, UserCount).Select(i => $"user{i}")];

    public async ValueTask InitializeAsync()
    {
        Partitions = await LocalPartitions.StartAsync(4, PartitionSchema, prefix: "scaffold_part");
        for (int p = 0; p < 4; p++)
        {
            string[] mine = [.. Usernames.Where(u => Hashing.Partitions.IndexOf(PgHash.HashText(u), 4) == p)];
            await using var seed = NpgsqlDataSource.Create(Partitions.ConnectionStrings[p]);
            await using NpgsqlCommand insert = seed.CreateCommand("""
                insert into users
                select u, (substr(u, 5)::int) * 1.5, case when substr(u, 5)::int % 2 = 0 then 'EUR' else 'USD' end, u || '@example.com',
                       (array['sad', 'ok', 'very_happy'])[substr(u, 5)::int % 3 + 1]::mood,
                       timestamp '2020-01-01 12:30:00' + (substr(u, 5)::int || ' days')::interval, left(u, 3)
                from unnest($1::text[]) u
                """);
            insert.Parameters.Add(new NpgsqlParameter { Value = mine });
            await insert.ExecuteNonQueryAsync();
        }

        LocalPostgresServer server = Partitions.Server;
        ProxyConnectionString = await server.CreateDatabaseAsync("scaffold_proxy");
        string Libpq(string database) => $"host={server.Host} port={server.Port} dbname={database} user={LocalPostgresServer.Superuser}";
        await server.ExecuteAsync("scaffold_proxy", $"""
            create extension plproxy;
            create schema plproxy;
            create function plproxy.get_cluster_version(c text) returns int4 language sql as $$ select 1 $$;
            create function plproxy.get_cluster_partitions(c text) returns setof text language plpgsql as $$
            begin
                if c <> 'userdb' then raise exception 'no such cluster: %', c; end if;
                return query select 'host={server.Host} port={server.Port} dbname=scaffold_part' || i || ' user=postgres password=secret' from generate_series(0, 3) i;
            end $$;
            create function plproxy.get_cluster_config(in c text, out key text, out val text) returns setof record language sql as
                $$ select 'query_timeout', '30' $$;
            create function pick(region text) returns text language sql as $$ select 'userdb' $$;
            create function my_hash(x text) returns int4 language sql as $$ select hashtext(x) $$;
            create function hash_each(keys text[]) returns setof int4 language sql as $$ select hashtext(k) from unnest(keys) k $$;
            create function hash_salted(id int8, salt text) returns int8 language sql as $$ select hashtextextended(salt || '-' || id::text, 7) $$;
            create function hash_lower(u text) returns int4 language sql as $$ select hashtext(lower(u)) $$;
            {PartitionSchema.Split("create table")[0]}
            create type user_row as (username text, balance numeric, email varchar);
            create schema ops;

            create function get_balance(username text) returns numeric as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function get_balance(username text, currency text) returns numeric as $$
                cluster 'userdb';
                run on hashtext(username);
            $$ language plproxy;
            create function get_user(username text) returns user_row as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function get_users(usernames text[]) returns setof user_row as $$
                cluster 'userdb';
                split usernames;
                run on hashtext(usernames);
            $$ language plproxy;
            create function user_count() returns setof int8 as $$ cluster 'userdb'; run on all; $$ language plproxy;
            create function partition_stats(out db text, out users int8) returns setof record as $$ cluster 'userdb'; run on all; $$ language plproxy;
            create function set_email(username text, email varchar) returns void as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function get_mood(username text) returns mood as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function set_mood(username text, m mood) returns mood as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function get_created(username text) returns timestamp as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function get_code(username text) returns char(4) as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function balance_of(u d_username) returns numeric as $$ cluster 'userdb'; run on hashtext(u); $$ language plproxy;
            create function echo_ints(xs int4[]) returns int4[] as $$ cluster 'userdb'; run on 0; $$ language plproxy;
            create function ops.balance_ops(username text) returns numeric as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function echo_json(j jsonb) returns jsonb as $$ cluster 'userdb'; run on 1; $$ language plproxy;
            create function echo_uuid(id uuid) returns uuid as $$ cluster 'userdb'; run on any; $$ language plproxy;
            create function name_by_id(id int8) returns text as $$ cluster 'userdb'; run on id; $$ language plproxy;
            create function swap(inout x int4, out y text) as $$ cluster 'userdb'; run on x; $$ language plproxy;
            create function user_table(min_balance numeric) returns table (username text, balance numeric) as $$
                cluster 'userdb'; run on all;
            $$ language plproxy;
            create function any_db() returns text as $$ cluster 'userdb'; run on any; select current_database()::text; $$ language plproxy;
            create function db_at(part int4) returns text as $$ cluster 'userdb'; run on part; select current_database()::text; $$ language plproxy;
            create server medcluster foreign data wrapper plproxy options (
                p0 'host={server.Host} port={server.Port} dbname=scaffold_part0',
                p1 'host={server.Host} port={server.Port} dbname=scaffold_part1 sslpassword=secret',
                connection_lifetime '1800');
            create user mapping for public server medcluster options (user '{LocalPostgresServer.Superuser}', password 'secret');
            create function med_dbs() returns setof text as $$ cluster 'medcluster'; run on all; select current_database()::text; $$ language plproxy;
            create function connect_db() returns text as $$ connect '{Libpq("scaffold_part2")}'; target db_name; $$ language plproxy;

            create function dyn(q text) returns setof record as $$ cluster 'userdb'; run on all; $$ language plproxy;
            create function ranged(r int4range) returns text as $$ cluster 'userdb'; run on 0; $$ language plproxy;
            create function "getBalance"(username text) returns numeric as $$ cluster 'userdb'; run on hashtext(username); $$ language plproxy;
            create function by_row(r user_row) returns text as $$ cluster 'userdb'; run on 0; $$ language plproxy;
            create function regional(region text) returns text as $$ cluster pick(region); run on 0; target db_name; $$ language plproxy;
            create function hashed(x text) returns text as $$ cluster 'userdb'; run on my_hash(x); target db_name; $$ language plproxy;
            create function whoami_multi(keys text[]) returns setof text as $$ cluster 'userdb'; run on hash_each(keys); select current_database()::text; $$ language plproxy;
            create function salted(id int8, salt text) returns text as $$ cluster 'userdb'; run on hash_salted(id, salt); select current_database()::text; $$ language plproxy;
            create function by_lower(u text) returns text as $$ cluster 'userdb'; run on hash_lower(u); select current_database()::text; $$ language plproxy;
            create function at_point(p point) returns text as $$ cluster 'userdb'; run on 0; $$ language plproxy;
            """);
        Proxy = NpgsqlDataSource.Create(ProxyConnectionString);

        _output = Directory.CreateTempSubdirectory("plproxy-tool-").FullName;
        Run = await ScaffoldAsync(["--connection", ProxyConnectionString, "--output", _output, "--namespace", "Scaffolded.Db"]);
        Files = Directory.GetFiles(_output).ToDictionary(f => Path.GetFileName(f), File.ReadAllText);
        Compiled = GeneratorHarness.Run([.. Files.Where(f => f.Key.EndsWith(".cs", StringComparison.Ordinal)).Select(f => f.Value)]);
        if (Compiled.CompileErrors.IsEmpty && Compiled.GeneratorDiagnostics.IsEmpty)
        {
            Assembly = GeneratorHarness.Load(Compiled.Output);
        }

        var services = new ServiceCollection();
        IConfiguration configuration = new ConfigurationBuilder().AddJsonFile(Path.Combine(_output, "appsettings.plproxy.json")).Build();
        services.AddPlProxy(configuration.GetSection("PlProxy"));
        Client = services.BuildServiceProvider().GetRequiredService<PlProxyDataSource>();
    }

    /// <summary>Runs <c>plproxy scaffold</c> with <paramref name="args"/>, capturing what it prints.</summary>
    public static Task<(int ExitCode, string Output, string Error)> ScaffoldAsync(string[] args) => Tool.RunAsync(["scaffold", .. args]);

    /// <summary>A proxy of the scaffolded interface <paramref name="interfaceName"/> over the partitions.</summary>
    public object CreateProxy(string interfaceName, out Type contract)
    {
        contract = Assembly.GetType($"Scaffolded.Db.{interfaceName}", throwOnError: true)!;
        return typeof(PlProxyDataSource).GetMethod(nameof(PlProxyDataSource.CreateProxy))!.MakeGenericMethod(contract).Invoke(Client, null)!;
    }

    public async ValueTask DisposeAsync()
    {
        Client?.Dispose();
        if (Proxy is not null)
        {
            await Proxy.DisposeAsync();
        }

        if (Partitions is not null)
        {
            await Partitions.DisposeAsync();
        }

        if (_output.Length > 0)
        {
            Directory.Delete(_output, recursive: true);
        }
    }
}
