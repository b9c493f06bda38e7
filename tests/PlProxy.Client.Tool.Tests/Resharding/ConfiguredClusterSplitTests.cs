using System.Text.Json.Nodes;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// <c>plproxy split --config appsettings.json --config-out new.json</c>: a cluster configured in the application has
/// no proxy database to switch; the split writes the new fragment, and until the application takes it, partconf fences
/// the moved keys: a call for them fails as a stale map and writes nothing.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class ConfiguredClusterSplitTests(ReshardFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Split_OfAConfiguredCluster_WritesTheNewFragmentAndFencesUntilTheApplicationTakesIt()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, [.. Enumerable.Range(0, 100).Select(i => $"user{i}")], Token);
        string directory = Directory.CreateTempSubdirectory("plproxy-config").FullName;
        string config = Path.Combine(directory, "appsettings.json");
        string configOut = Path.Combine(directory, "appsettings.users.json");
        await File.WriteAllTextAsync(config, $$"""
            {
              // the application's settings
              "Logging": { "LogLevel": { "Default": "Information" } },
              "PlProxy": { "Clusters": { "users": { "Partitions": [ "{{cluster.Partitions[0]}}", "{{cluster.Partitions[1]}}" ], "QueryTimeout": "00:00:05" } } }
            }
            """, Token);
        var options = new PlProxyOptions { FencedCallTimeout = TimeSpan.FromMilliseconds(300) }.AddCluster("users", cluster.Partitions);
        using PlProxyDataSource client = PlProxyDataSource.Create(options);
        IWrites writes = client.CreateProxy<IWrites>();

        (int exitCode, string output, string error) = await Tool.RunAsync(["split", "--config", config, "--config-out", configOut, "--cluster", "users", "--to", .. cluster.Spares]);

        Assert.True(exitCode == 0, output + error);
        JsonNode written = JsonNode.Parse(await File.ReadAllTextAsync(configOut, Token))!;
        Assert.Equal([.. cluster.Partitions, .. cluster.Spares], written["PlProxy"]!["Clusters"]!["users"]!["Partitions"]!.AsArray().Select(p => p!.GetValue<string>()));
        Assert.Equal("00:00:05", written["PlProxy"]!["Clusters"]!["users"]!["QueryTimeout"]!.GetValue<string>());

        string moved = Enumerable.Range(0, 100).Select(i => $"key{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 4) >= 2);
        var stale = await Assert.ThrowsAsync<PlProxyException>(() => writes.RecordWriteAsync("stale", moved, Token));
        Assert.Contains("stale partition map", stale.Message, StringComparison.Ordinal);

        client.Reconfigure(new PlProxyOptions { FencedCallTimeout = TimeSpan.FromMilliseconds(300) }.AddCluster("users", [.. cluster.Partitions, .. cluster.Spares]));
        Assert.Equal("moved", await writes.RecordWriteAsync("moved", moved, Token));

        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync([.. cluster.Partitions, .. cluster.Spares], Token);
        Assert.Equal(101, rows.Count);
        Assert.All(rows, r => Assert.Equal(Partitions.IndexOf(PgHash.HashText(r.Key), 4), r.Database));
        Directory.Delete(directory, recursive: true);
    }

    [Fact]
    public async Task Split_OfAConfiguredClusterWhoseDatabasesAnotherConfiguredClusterAlsoLists_SaysSoAndChangesNothing()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        string directory = Directory.CreateTempSubdirectory("plproxy-config").FullName;
        string config = Path.Combine(directory, "appsettings.json");
        await File.WriteAllTextAsync(config, $$"""
            { "PlProxy": { "Clusters": {
                "users": { "Partitions": [ "{{cluster.Partitions[0]}}", "{{cluster.Partitions[1]}}" ] },
                "users_ro": { "partitions": [ "{{cluster.Partitions[1]}}", "{{cluster.Partitions[0]}}" ] } } } }
            """, Token);

        (int exitCode, _, string error) = await Tool.RunAsync(["split", "--config", config, "--config-out", Path.Combine(directory, "out.json"), "--cluster", "users", "--to", .. cluster.Spares]);

        Assert.Equal(2, exitCode);
        Assert.Contains("cluster 'users_ro' of the configuration also lists", error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(directory, "out.json")));
        Assert.Empty(await ReshardFixture.TablesAsync(cluster.Spares, Token));
        Directory.Delete(directory, recursive: true);
    }
}
