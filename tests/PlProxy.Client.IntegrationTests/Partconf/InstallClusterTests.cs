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
        string proxy = await fixture.ProxyDatabaseAsync([fixture.Libpq(names[0]), fixture.Libpq(names[1]), fixture.Libpq(names[0]), fixture.Libpq(names[1])], Token);

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
}
