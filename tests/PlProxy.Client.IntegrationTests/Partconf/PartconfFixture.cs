using Npgsql;
using PlProxy.Client.Partconf;
using PlProxy.Client.Testing;
using PlProxy.Client.TestSupport;

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

    /// <summary>A proxy database (see <see cref="ProxyDatabases"/>) serving <paramref name="partitions"/> as version 1 of <paramref name="cluster"/>.</summary>
    public Task<string> ProxyDatabaseAsync(string cluster, string[] partitions, CancellationToken cancellationToken) =>
        ProxyDatabases.CreateAsync(Server, $"proxy{Interlocked.Increment(ref _databases)}", cluster, partitions, cancellationToken);

    /// <inheritdoc cref="ProxyDatabases.PublishMapAsync"/>
    public static Task PublishMapAsync(string proxy, string cluster, int version, string[] partitions, CancellationToken cancellationToken) =>
        ProxyDatabases.PublishMapAsync(proxy, cluster, version, partitions, cancellationToken);

    /// <summary>A database of this server in libpq's form, as proxy databases list partitions.</summary>
    public string Libpq(string database) => ProxyDatabases.Libpq(Server, database);

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
