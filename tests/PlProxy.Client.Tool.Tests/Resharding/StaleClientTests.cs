using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// A client that missed the split (its connection to the proxy database cut, and unable to come back) keeps the old
/// map: partconf fences its first misrouted write, which fails as a stale map and is written nowhere; keys that did
/// not move are written as before; once it reaches the proxy database again it follows the new map.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class StaleClientTests(ReshardFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClientThatMissedTheSplit_IsFencedAndNeverWritesToTheWrongPartition()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ExecuteAsync(cluster.Proxy, """
            create role lagging login;
            grant usage on schema plproxy to lagging;
            grant select on plproxy.cluster_map to lagging;
            """);
        string lagging = new NpgsqlConnectionStringBuilder(cluster.Proxy) { Username = "lagging" }.ConnectionString;
        using PlProxyDataSource client = PlProxyDataSource.Create(new PlProxyOptions { FencedCallTimeout = TimeSpan.FromSeconds(1) }.UseProxyDatabase(lagging));
        IWrites writes = client.CreateProxy<IWrites>();
        Assert.Equal("before", await writes.RecordWriteAsync("before", "user0", Token)); // the old map is loaded and listened to
        await ExecuteAsync(cluster.Proxy, "alter role lagging nologin; select pg_terminate_backend(pid) from pg_stat_activity where usename = 'lagging';");

        Assert.Equal(0, (await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares])).ExitCode);

        string[] keys = [.. Enumerable.Range(0, 100).Select(i => $"key{i}")];
        string moved = keys.First(k => Partitions.IndexOf(PgHash.HashText(k), 4) >= 2);
        string stayed = keys.First(k => Partitions.IndexOf(PgHash.HashText(k), 4) < 2);
        var stale = await Assert.ThrowsAsync<PlProxyException>(() => writes.RecordWriteAsync("stale", moved, Token));
        Assert.Equal(PlProxySqlStates.WrongPartition, stale.SqlState);
        Assert.Contains("stale partition map", stale.Message, StringComparison.Ordinal);
        Assert.Equal("stayed", await writes.RecordWriteAsync("stayed", stayed, Token));

        await ExecuteAsync(cluster.Proxy, "alter role lagging login;");
        Assert.Equal("moved", await writes.RecordWriteAsync("moved", moved, Token));

        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync([.. cluster.Partitions, .. cluster.Spares], Token);
        Assert.DoesNotContain(rows, r => r.Id == "stale");
        Assert.Contains((Partitions.IndexOf(PgHash.HashText(moved), 4), "moved", moved), rows);
        Assert.Contains((Partitions.IndexOf(PgHash.HashText(stayed), 4), "stayed", stayed), rows);
    }

    private static async Task ExecuteAsync(string database, string sql)
    {
        await using var source = NpgsqlDataSource.Create(database);
        await using NpgsqlCommand command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }
}
