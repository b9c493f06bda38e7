using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary><c>plproxy split</c> and <c>plproxy move</c> on a quiet cluster: what moves, where it lands, what is left behind.</summary>
[Collection(ReshardFixture.Collection)]
public sealed class SplitTests(ReshardFixture fixture)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 2000).Select(i => $"user{i}")];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Split_OfFourPartitions_LeavesEveryRowOnceOnItsPartitionOfEight_CopyingTwoAtATime()
    {
        DemoCluster cluster = await fixture.ClusterAsync(4, 4, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys, Token);

        (int exitCode, string output, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--parallel-copies", "2", "--to", .. cluster.Spares]);

        Assert.True(exitCode == 0, output + error);
        int running = 0, most = 0, started = 0;
        foreach (string line in output.Split('\n').Where(l => l.Contains(" copy: ", StringComparison.Ordinal)))
        {
            if (line.Contains(" -> ", StringComparison.Ordinal))
            {
                started++;
                most = Math.Max(most, ++running);
            }
            else if (line.Contains(" copied in ", StringComparison.Ordinal))
            {
                running--;
            }
        }

        Assert.Equal((4, 2, 0), (started, most, running)); // the four copies on one server, two at a time
        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal([.. cluster.Partitions, .. cluster.Spares], map);
        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync(map, Token);
        Assert.Equal(Keys.Order(StringComparer.Ordinal), rows.Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(Partitions.IndexOf(PgHash.HashText(r.Key), 8), r.Database));
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
    }

    [Theory]
    [InlineData(PgBouncerPoolMode.Statement)]
    [InlineData(PgBouncerPoolMode.Transaction)]
    [InlineData(PgBouncerPoolMode.Session)]
    public async Task Split_OfPartitionsReachedThroughPgBouncer_CopiesFromTheDatabasesThemselves_TheMapKeepingThePooler(PgBouncerPoolMode mode)
    {
        // PL/Proxy's usual deployment: the map names pgBouncer in front of each database. The copy's subscriptions
        // were refused ("unsupported startup parameter: replication"), pg_dump too in statement mode ("transaction
        // blocks not allowed"): the split stopped midway, to be resumed or aborted.
        await using LocalPgBouncer bouncer = await LocalPgBouncer.StartAsync(fixture.Server, mode, Token);
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string Pooled(string libpq) => libpq.Replace($"port={fixture.Server.Port}", $"port={bouncer.Port}", StringComparison.Ordinal);
        string proxyDatabase = new Npgsql.NpgsqlConnectionStringBuilder(cluster.Proxy).Database!;
        await fixture.Server.ExecuteAsync(proxyDatabase, $"update plproxy.cluster_map set connstr = replace(connstr, 'port={fixture.Server.Port}', 'port={bouncer.Port}')", Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys.Take(300), Token);

        (int exitCode, string output, string error) = await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares.Select(Pooled)]).WaitAsync(TimeSpan.FromSeconds(120), Token);

        Assert.True(exitCode == 0, output + error);
        Assert.Contains("is reached through a connection pooler", output, StringComparison.Ordinal);
        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal([.. cluster.Partitions.Select(Pooled), .. cluster.Spares.Select(Pooled)], map);
        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync(map, Token);
        Assert.Equal(Keys.Take(300).Order(StringComparer.Ordinal), rows.Select(r => r.Key).Order(StringComparer.Ordinal));
        Assert.All(rows, r => Assert.Equal(Partitions.IndexOf(PgHash.HashText(r.Key), 4), r.Database));
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
    }

    [Fact]
    public async Task Split_ThenVerify_PassesWithTheNewDatabasesConfigured()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys.Take(300), Token);
        Assert.Equal(0, (await Tool.RunAsync(["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares])).ExitCode);

        (int verified, string output, _) = await Tool.RunAsync(["verify", "--proxy", cluster.Proxy, "--cluster", "users"]);
        (_, string status, _) = await Tool.RunAsync(["status", "--proxy", cluster.Proxy, "--cluster", "users"]);

        Assert.Equal(0, verified);
        Assert.Contains("every row of 4 partitioned tables is on its partition", output, StringComparison.Ordinal);
        Assert.Contains("partitions 3 of 4, mask, modern hash, db_code 3, fenced {}", status, StringComparison.Ordinal);
        Assert.DoesNotContain("in progress", status, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Move_OfOnePartition_LeavesItsRowsOnlyOnTheNewDatabase()
    {
        DemoCluster cluster = await fixture.ClusterAsync(4, 1, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys.Take(500), Token);

        (int exitCode, string output, string error) = await Tool.RunAsync(["move", "--proxy", cluster.Proxy, "--cluster", "users", "--partition", "2", "--to", cluster.Spares[0]]);

        Assert.True(exitCode == 0, output + error);
        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal(cluster.Spares[0], map[2]);
        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync(map, Token);
        Assert.Equal(500, rows.Count);
        Assert.All(rows, r => Assert.Equal(Partitions.IndexOf(PgHash.HashText(r.Key), 4), r.Database));
        Assert.Contains("serves no partition of cluster users any more", output, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));

        (int again, string againOutput, string againError) = await Tool.RunAsync(["move", "--proxy", cluster.Proxy, "--cluster", "users", "--partition", "2", "--to", cluster.Spares[0]]);
        Assert.True(again == 0, againOutput + againError); // a retry-until-0 wrapper stops
        Assert.Contains("plproxy move: nothing to do: cluster users already has this map", againOutput, StringComparison.Ordinal);
    }
}
