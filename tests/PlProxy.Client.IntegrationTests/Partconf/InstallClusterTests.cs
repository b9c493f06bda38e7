using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Partconf;

namespace PlProxy.Client.IntegrationTests.Partconf;

/// <summary>partconf installed on a whole cluster as a PL/Proxy proxy database defines it.</summary>
[Collection(PartconfFixture.Collection)]
public sealed class InstallClusterTests(PartconfFixture fixture)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 1000).Select(i => $"user{i}")];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InstallCluster_WithPartitionsSharingDatabases_GivesEachDatabaseItsPartitionNumbers()
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string[] names = [$"ica{suffix}", $"icb{suffix}"];
        foreach (string name in names)
        {
            await fixture.Server.CreateDatabaseAsync(name, cancellationToken: Token);
        }

        // Four partitions over two databases (PL/Proxy's FAQ: over-partition, keep duplicate connect strings).
        string proxy = await fixture.ProxyDatabaseAsync("users", [fixture.Libpq(names[0]), fixture.Libpq(names[1]), fixture.Libpq(names[0]), fixture.Libpq(names[1])], Token);

        IReadOnlyList<PartconfSettings> installed = await PartconfDatabase.InstallClusterAsync(proxy, "users", Token);

        Assert.Equal([[0, 2], [1, 3]], installed.Select(s => s.Partitions.ToArray()));
        Assert.Equal([0, 1], installed.Select(s => s.DbCode));
        for (int database = 0; database < 2; database++)
        {
            await fixture.Server.ExecuteAsync(names[database], PartconfFixture.OwnedKeysFunction, Token);
            await using var source = NpgsqlDataSource.Create(fixture.Server.ConnectionString(names[database]));
            HashSet<string> owned = await PartconfFixture.OwnedAsync(source, Keys, Token);
            int served = database;
            Assert.True(owned.SetEquals(Keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 4) % 2 == served)), $"database {database}");
        }
    }

    [Fact]
    public async Task InstallCluster_AgainAfterTheMapChanged_KeepsEachDatabasesDbCodeAndGivesNewOnesTheLowestFree()
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string[] names = [$"ika{suffix}", $"ikb{suffix}", $"ikc{suffix}", $"ikd{suffix}"];
        foreach (string name in names)
        {
            await fixture.Server.CreateDatabaseAsync(name, cancellationToken: Token);
        }

        string proxy = await fixture.ProxyDatabaseAsync("users", [fixture.Libpq(names[0]), fixture.Libpq(names[1])], Token);
        Assert.Equal([0, 1], (await PartconfDatabase.InstallClusterAsync(proxy, "users", Token)).Select(s => s.DbCode));
        await PartconfFixture.PublishMapAsync(proxy, "users", 2, [fixture.Libpq(names[2]), fixture.Libpq(names[3]), fixture.Libpq(names[0]), fixture.Libpq(names[1])], Token);

        IReadOnlyList<PartconfSettings> installed = await PartconfDatabase.InstallClusterAsync(proxy, "users", Token);

        Assert.Equal([2, 3, 0, 1], installed.Select(s => s.DbCode)); // by position they would have been 0, 1, 2, 3
        Assert.Equal([0, 1, 2, 3], installed.Select(s => s.Partitions.Single()));
        int[] codes = await Task.WhenAll(names[2..].Concat(names[..2]).Select(DbCodeAsync));
        Assert.Equal([2, 3, 0, 1], codes);
    }

    [Fact]
    public async Task InstallCluster_WithTwoDatabasesSharingADbCode_RefusesNamingThemAndChangesNothing()
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string[] names = [$"isa{suffix}", $"isb{suffix}"];
        foreach (string name in names)
        {
            await using var database = NpgsqlDataSource.Create(await fixture.Server.CreateDatabaseAsync(name, cancellationToken: Token));
            await PartconfDatabase.InstallAsync(database, new PartconfSettings("users", [Array.IndexOf(names, name)], 2, DbCode: 7), Token);
        }

        string proxy = await fixture.ProxyDatabaseAsync("users", [fixture.Libpq(names[0]), fixture.Libpq(names[1])], Token);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => PartconfDatabase.InstallClusterAsync(proxy, "users", Token));

        Assert.Contains($"databases '{names[0]}' on 127.0.0.1:{fixture.Server.Port} and '{names[1]}' on 127.0.0.1:{fixture.Server.Port} both have db_code 7", error.Message, StringComparison.Ordinal);
        long[] versions = await Task.WhenAll(names.Select(async name =>
        {
            await using var database = NpgsqlDataSource.Create(fixture.Server.ConnectionString(name));
            await using NpgsqlCommand version = database.CreateCommand("select version from partconf.conf");
            return (long)(await version.ExecuteScalarAsync(Token))!;
        }));
        Assert.Equal([1L, 1L], versions); // configured once each, by the set-up
    }

    [Fact]
    public async Task VerifyCluster_CountsEachPartitionedTablesRowsAndThoseOnTheWrongDatabase()
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        string[] names = [$"vca{suffix}", $"vcb{suffix}"];
        var databases = new NpgsqlDataSource[2];
        for (int i = 0; i < 2; i++)
        {
            databases[i] = NpgsqlDataSource.Create(await fixture.Server.CreateDatabaseAsync(names[i], cancellationToken: Token));
        }

        string proxy = await fixture.ProxyDatabaseAsync("users", [fixture.Libpq(names[0]), fixture.Libpq(names[1])], Token);
        await PartconfDatabase.InstallClusterAsync(proxy, "users", Token);
        string[] keys = [.. Keys.Take(100)];
        string[] misplaced = [.. keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 1).Take(3)];
        for (int i = 0; i < 2; i++)
        {
            int partition = i;
            string[] own = [.. keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 2) == partition)];
            await fixture.Server.ExecuteAsync(names[i], $"""
                create schema shop;
                create table shop.accounts (username text primary key);
                create trigger accounts_partition before insert on shop.accounts for each row execute function partconf.valid_hash('username');
                insert into shop.accounts select unnest(array['{string.Join("','", own)}']);
                create table orders (id int8 primary key);
                create trigger orders_partition before insert on orders for each row execute function partconf.valid_hash('id', 'hashint8');
                create table notes (body text);
                """, Token);
        }

        // Rows written past the trigger (as a stale bulk load would): partition 1's keys on database 0.
        await fixture.Server.ExecuteAsync(names[0], $"""
            alter table shop.accounts disable trigger accounts_partition;
            insert into shop.accounts select unnest(array['{string.Join("','", misplaced)}']);
            """, Token);

        PartconfVerification verification = await PartconfDatabase.VerifyClusterAsync(proxy, "users", Token);
        IReadOnlyList<PartconfTableCount> counts = verification.Tables;

        Assert.Equal(
            [(names[0], "orders", 0L, 0L), (names[0], "shop.accounts", keys.Count(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 0) + 3L, 3L),
             (names[1], "orders", 0L, 0L), (names[1], "shop.accounts", keys.Count(k => Partitions.IndexOf(PgHash.HashText(k), 2) == 1), 0L)],
            counts.Select(c => (c.Database, c.Table, c.Rows, c.Misplaced)));
        Assert.Equal(["id", "username", "id", "username"], counts.Select(c => c.KeyColumn));
        Assert.Empty(verification.Problems);
        Assert.False(verification.Passed);
        foreach (NpgsqlDataSource database in databases)
        {
            await database.DisposeAsync();
        }
    }

    [Fact]
    public async Task InstallCluster_OfAClusterTheProxyDatabaseDoesNotDefine_FailsWithItsError()
    {
        string suffix = Guid.NewGuid().ToString("N")[..12];
        await fixture.Server.CreateDatabaseAsync($"icempty{suffix}", cancellationToken: Token);
        await fixture.Server.ExecuteAsync($"icempty{suffix}", """
            create schema plproxy;
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language plpgsql as $$ begin raise exception 'no such cluster: %', i_cluster; end $$;
            """, Token);

        var error = await Assert.ThrowsAsync<PostgresException>(() => PartconfDatabase.InstallClusterAsync(fixture.Server.ConnectionString($"icempty{suffix}"), "nope", Token));

        Assert.Contains("no such cluster: nope", error.MessageText, StringComparison.Ordinal);
    }

    private async Task<int> DbCodeAsync(string name)
    {
        await using var database = NpgsqlDataSource.Create(fixture.Server.ConnectionString(name));
        await using NpgsqlCommand code = database.CreateCommand("select db_code from partconf.conf");
        return (int)(await code.ExecuteScalarAsync(Token))!;
    }
}
