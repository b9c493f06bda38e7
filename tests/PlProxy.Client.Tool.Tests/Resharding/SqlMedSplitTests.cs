using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary><c>plproxy split</c> of a cluster a proxy database defines as PL/Proxy's SQL/MED server.</summary>
[Collection(ReshardFixture.Collection)]
public sealed class SqlMedSplitTests(ReshardFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Split_OfASqlMedCluster_AddsThePartitionsToTheServerAndClientsFollow()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string proxy = await fixture.Server.CreateDatabaseAsync("sqlmed_proxy", cancellationToken: Token);
        // Partitions without a user: the user mapping's user is added to each, as PL/Proxy adds it.
        string[] partitions = [.. cluster.Partitions.Select(p => p.Replace(" user=postgres", "", StringComparison.Ordinal))];
        string[] spares = [.. cluster.Spares.Select(p => p.Replace(" user=postgres", "", StringComparison.Ordinal))];
        await fixture.Server.ExecuteAsync("sqlmed_proxy", $"""
            create extension plproxy;
            create server users foreign data wrapper plproxy options (connection_lifetime '1800', p0 '{partitions[0]}', p1 '{partitions[1]}');
            create user mapping for public server users options (user 'postgres');
            """, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, [.. Enumerable.Range(0, 100).Select(i => $"user{i}")], Token);
        using PlProxyDataSource client = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy));
        await client.Clusters.WarmUpAsync(["users"], "test", Token);

        (int exitCode, string output, string error) = await Tool.RunAsync(["split", "--proxy", proxy, "--cluster", "users", "--to", .. spares]);

        Assert.True(exitCode == 0, output + error);
        await using (var database = NpgsqlDataSource.Create(proxy))
        await using (NpgsqlCommand options = database.CreateCommand("select srvoptions from pg_foreign_server where srvname = 'users'"))
        {
            Assert.Equal(["connection_lifetime=1800", $"p0={partitions[0]}", $"p1={partitions[1]}", $"p2={spares[0]}", $"p3={spares[1]}"], (string[])(await options.ExecuteScalarAsync(Token))!);
        }

        string key = Enumerable.Range(0, 100).Select(i => $"new{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 3);
        Assert.Equal("after-split", await client.CreateProxy<IWrites>().RecordWriteAsync("after-split", key, Token));
        Assert.Contains((3, "after-split", key), await ReshardFixture.RowsAsync([.. cluster.Partitions, .. cluster.Spares], Token));
        Assert.Equal(0, (await Tool.RunAsync(["verify", "--proxy", proxy, "--cluster", "users"])).ExitCode);
    }
}
