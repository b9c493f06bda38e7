using Npgsql;
using PlProxy.Client.Partconf;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Partconf;

/// <summary>One local PostgreSQL for the partconf tests; each test creates the partition databases it needs.</summary>
public sealed class PartconfFixture : IAsyncLifetime
{
    public const string Collection = "partconf";

    // Owned: the key when check_hash accepts it, nothing when it refuses with PX001 (any other error fails the call).
    public const string OwnedKeysFunction = """
        create function test_owned(keys text[]) returns setof text language plpgsql as $$
        declare k text;
        begin
            foreach k in array keys loop
                begin
                    perform partconf.check_hash(partconf.hash_text(k));
                    return next k;
                exception when sqlstate 'PX001' then
                    null;
                end;
            end loop;
        end $$;
        """;

    private int _databases;

    public LocalPostgresServer Server { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Server = await LocalPostgresServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();

    /// <summary>A cluster of <paramref name="count"/> new databases, database p serving partition p, partconf installed.</summary>
    public async Task<NpgsqlDataSource[]> ClusterAsync(int count, Func<int, PartconfSettings> settings, CancellationToken cancellationToken)
    {
        var databases = new NpgsqlDataSource[count];
        for (int p = 0; p < count; p++)
        {
            string name = $"pc{Interlocked.Increment(ref _databases)}";
            databases[p] = NpgsqlDataSource.Create(await Server.CreateDatabaseAsync(name, cancellationToken: cancellationToken));
            await PartconfDatabase.InstallAsync(databases[p], settings(p), cancellationToken);
            await Server.ExecuteAsync(name, OwnedKeysFunction, cancellationToken);
        }

        return databases;
    }

    /// <summary>
    /// A PL/Proxy proxy database defining every cluster by one versioned map (<c>plproxy.map</c>: version, partition,
    /// connection string), its newest version serving; starts at version 1 with <paramref name="partitions"/>.
    /// </summary>
    public async Task<string> ProxyDatabaseAsync(string[] partitions, CancellationToken cancellationToken)
    {
        string name = $"proxy{Interlocked.Increment(ref _databases)}";
        string proxy = await Server.CreateDatabaseAsync(name, cancellationToken: cancellationToken);
        await Server.ExecuteAsync(name, """
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

    /// <summary>Adds a version of the map of a proxy database made by <see cref="ProxyDatabaseAsync"/>, without notifying anyone.</summary>
    public static async Task PublishMapAsync(string proxy, int version, string[] partitions, CancellationToken cancellationToken)
    {
        await using var database = NpgsqlDataSource.Create(proxy);
        await using NpgsqlCommand command = database.CreateCommand("insert into plproxy.map select $1, i - 1, c from unnest($2::text[]) with ordinality u(c, i)");
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = version });
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = partitions });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A database of this server in libpq's form, as proxy databases list partitions.</summary>
    public string Libpq(string database) => $"host={Server.Host} port={Server.Port} dbname={database} user={LocalPostgresServer.Superuser}";

    /// <summary>The libpq form of a data source's database.</summary>
    public string Libpq(NpgsqlDataSource database) => Libpq(new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!);

    /// <summary>The keys among <paramref name="keys"/> that <c>partconf.check_hash</c> accepts on <paramref name="database"/>.</summary>
    public static async Task<HashSet<string>> OwnedAsync(NpgsqlDataSource database, string[] keys, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = database.CreateCommand("select k from test_owned($1) k");
        command.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = keys });
        var owned = new HashSet<string>(StringComparer.Ordinal);
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            owned.Add(reader.GetString(0));
        }

        return owned;
    }
}

[CollectionDefinition(PartconfFixture.Collection)]
public sealed class PartconfCollection : ICollectionFixture<PartconfFixture>;
