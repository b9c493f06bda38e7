using System.Text.Json;
using Npgsql;
using PlProxy.Client.Hashing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// <c>split --stop-before-switch</c>, <c>plproxy diff</c> and the switch's own comparison: equal copies diff clean;
/// rows changed, deleted and inserted by hand on a copy are each found on the right table and copy; the switch then
/// refuses and the old map keeps serving; after <c>--abort</c> a clean split passes verify and diff.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class DiffTests(ReshardFixture fixture)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 800).Select(i => $"user{i}")];

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task SplitStoppedBeforeTheSwitch_KeepsTheOldMap_ItsCopiesDiffClean_AndTheSameCommandFinishes()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];

        (int stopped, string stoppedOutput, string stoppedError) = await Tool.RunAsync([.. split, "--stop-before-switch"]);

        Assert.True(stopped == 0, stoppedOutput + stoppedError);
        Assert.Contains("stopped: the copies have caught up and keep replicating", stoppedOutput, StringComparison.Ordinal);
        Assert.Equal(cluster.Partitions, await ReshardFixture.MapAsync(cluster.Proxy, Token));

        await ReshardFixture.SeedAsync(cluster.Partitions, Keys.Select(k => k + "-later"), Token); // written while the copies replicate
        (int diffed, string diffOutput, string diffError) = await Tool.RunAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users", "--chunk-rows", "100"]);
        Assert.True(diffed == 0, diffOutput + diffError);
        Assert.Contains("moving rows of 2 table copies equal their sources", diffOutput, StringComparison.Ordinal);

        (int json, string jsonOutput, _) = await Tool.RunAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users", "--json"]);
        Assert.Equal(0, json);
        using (JsonDocument report = JsonDocument.Parse(jsonOutput))
        {
            Assert.True(report.RootElement.GetProperty("equal").GetBoolean());
            Assert.Equal("split", report.RootElement.GetProperty("operation").GetString());
            int moving = Keys.Concat(Keys.Select(k => k + "-later")).Count(k => Partitions.IndexOf(PgHash.HashText(k), 4) >= 2);
            Assert.Equal(moving, report.RootElement.GetProperty("rows").GetInt64());
        }

        (int finished, string finishOutput, string finishError) = await Tool.RunAsync(split);
        Assert.True(finished == 0, finishOutput + finishError);
        Assert.Contains("copies compared", finishOutput, StringComparison.Ordinal);
        Assert.Contains("written since the last comparison equal their sources (under the fence, by their recorded keys)", finishOutput, StringComparison.Ordinal);
        string[] map = await ReshardFixture.MapAsync(cluster.Proxy, Token);
        Assert.Equal([.. cluster.Partitions, .. cluster.Spares], map);
        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync(map, Token);
        Assert.Equal(2 * Keys.Length, rows.Count);
        Assert.All(rows, r => Assert.Equal(Partitions.IndexOf(PgHash.HashText(r.Key), 4), r.Database));

        (int after, string afterOutput, _) = await Tool.RunAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users"]);
        Assert.Equal(0, after);
        Assert.Contains("no split or move of cluster users is in progress", afterOutput, StringComparison.Ordinal);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
    }

    [Fact]
    public async Task CopyChangedByHand_IsFoundByDiffRowByRow_TheSwitchRefusesIt_AndAfterAbortACleanSplitPasses()
    {
        (DemoCluster cluster, string[] split) = await StoppedSplitAsync();

        // The first new database takes partition 0's keys that map to 2 of 4: change one, delete one, add one by hand.
        string[] moving = [.. Keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 2).Order(StringComparer.Ordinal)];
        string added = Enumerable.Range(0, 1000).Select(i => $"stray{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 2);
        await using (var copy = NpgsqlDataSource.Create(ReshardFixture.ConnectionString(cluster.Spares[0])))
        {
            await using NpgsqlCommand change = copy.CreateCommand($"""
                update writes set written_at = '2000-01-01' where id = 'seed-{moving[0]}';
                delete from writes where id = 'seed-{moving[1]}';
                insert into writes (id, key) values ('seed-{added}', '{added}');
                """);
            await change.ExecuteNonQueryAsync(Token);
        }

        (int diffed, string json, string diffError) = await Tool.RunAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users", "--json", "--chunk-rows", "100"]);
        Assert.True(diffed == 1, json + diffError);
        using (JsonDocument report = JsonDocument.Parse(json))
        {
            Assert.False(report.RootElement.GetProperty("equal").GetBoolean());
            JsonElement[] tables = [.. report.RootElement.GetProperty("tables").EnumerateArray()];
            JsonElement changed = Assert.Single(tables, t => t.GetProperty("missing").GetInt64() + t.GetProperty("extra").GetInt64() + t.GetProperty("different").GetInt64() > 0);
            Assert.Equal("writes", changed.GetProperty("table").GetString());
            Assert.Equal(ReshardFixture.ConnectionString(cluster.Spares[0]).Split("Database=")[1].Split(';')[0], changed.GetProperty("copy").GetString());
            Assert.Equal([2], changed.GetProperty("partitions").EnumerateArray().Select(p => p.GetInt32()));
            Assert.Equal((1L, 1L, 1L), (changed.GetProperty("missing").GetInt64(), changed.GetProperty("extra").GetInt64(), changed.GetProperty("different").GetInt64()));
            Assert.Equal([$"seed-{moving[1]}"], changed.GetProperty("missingKeys").EnumerateArray().Select(k => k.GetString()));
            Assert.Equal([$"seed-{added}"], changed.GetProperty("extraKeys").EnumerateArray().Select(k => k.GetString()));
            Assert.Equal([$"seed-{moving[0]}"], changed.GetProperty("differentKeys").EnumerateArray().Select(k => k.GetString()));
        }

        (int refused, string refusedOutput, string refusedError) = await Tool.RunAsync(split);
        Assert.True(refused == 1, refusedOutput + refusedError);
        Assert.Contains("The copies differ from their sources, so the split does not switch to them", refusedError, StringComparison.Ordinal);
        Assert.Contains("1 missing (keys seed-", refusedError, StringComparison.Ordinal);
        Assert.Contains("the cluster serves as before", refusedError, StringComparison.Ordinal);
        Assert.Equal(cluster.Partitions, await ReshardFixture.MapAsync(cluster.Proxy, Token));
        await ReshardFixture.SeedAsync(cluster.Partitions, [moving[5] + "-after"], Token); // the old map takes writes: nothing is fenced

        Assert.Equal(0, (await Tool.RunAsync([.. split, "--abort"])).ExitCode);
        (int clean, string cleanOutput, string cleanError) = await Tool.RunAsync(split);
        Assert.True(clean == 0, cleanOutput + cleanError);
        Assert.Equal(0, (await Tool.RunAsync(["verify", "--proxy", cluster.Proxy, "--cluster", "users"])).ExitCode);
        Assert.Equal(0, (await Tool.RunAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users"])).ExitCode);
        List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync(await ReshardFixture.MapAsync(cluster.Proxy, Token), Token);
        Assert.Equal(Keys.Length + 1, rows.Count);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
    }

    [Fact]
    public async Task MoveStoppedBeforeTheSwitch_DiffsItsOnePartitionClean()
    {
        DemoCluster cluster = await fixture.ClusterAsync(4, 1, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys.Take(400), Token);
        string[] move = ["move", "--proxy", cluster.Proxy, "--cluster", "users", "--partition", "1", "--to", cluster.Spares[0]];
        Assert.Equal(0, (await Tool.RunAsync([.. move, "--stop-before-switch"])).ExitCode);

        (int diffed, string output, string error) = await Tool.RunAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users"]);

        Assert.True(diffed == 0, output + error);
        Assert.Contains($"{Keys.Take(400).Count(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 1)} rows equal", output, StringComparison.Ordinal);
        Assert.Equal(0, (await Tool.RunAsync([.. move, "--abort"])).ExitCode);
        Assert.Equal((0, 0), await fixture.LeftoversAsync(cluster, Token));
    }

    [Fact]
    public async Task DiffResumed_GoesOnAfterTheLastChunkAStoppedDiffSaved_KeepingItsCounts()
    {
        (DemoCluster cluster, string[] split) = await StoppedSplitAsync();
        string[] diff = ["diff", "--proxy", cluster.Proxy, "--cluster", "users", "--chunk-rows", "100", "--json"];
        Assert.Equal(0, (await Tool.RunAsync(diff)).ExitCode);
        long moving = Keys.Count(k => Partitions.IndexOf(PgHash.HashText(k), 4) >= 2);

        // A diff stopped halfway through the first copy: its saved point is the 150th moving id, its count 150 rows.
        string copyName = ReshardFixture.ConnectionString(cluster.Spares[0]).Split("Database=")[1].Split(';')[0];
        string[] ids = [.. Keys.Where(k => Partitions.IndexOf(PgHash.HashText(k), 4) == 2).Select(k => $"seed-{k}").Order(StringComparer.Ordinal)];
        await using (var proxy = NpgsqlDataSource.Create(cluster.Proxy))
        await using (NpgsqlCommand stopped = proxy.CreateCommand("update plproxy_tool.diff_progress set done = false, last_key = array[$1], rows = 150 where cluster_name = 'users' and copy = $2"))
        {
            stopped.Parameters.Add(new NpgsqlParameter<string> { TypedValue = ids[149] });
            stopped.Parameters.Add(new NpgsqlParameter<string> { TypedValue = copyName });
            Assert.Equal(1, await stopped.ExecuteNonQueryAsync(Token));
        }

        // A row changed by hand before that point: the resumed diff does not read it again; a new diff does.
        await using (var copy = NpgsqlDataSource.Create(ReshardFixture.ConnectionString(cluster.Spares[0])))
        await using (NpgsqlCommand change = copy.CreateCommand($"update writes set written_at = '2000-01-01' where id = '{ids[10]}'"))
        {
            await change.ExecuteNonQueryAsync(Token);
        }

        (int resumed, string resumedJson, string resumedError) = await Tool.RunAsync([.. diff, "--resume"]);
        Assert.True(resumed == 0, resumedJson + resumedError);
        using (JsonDocument report = JsonDocument.Parse(resumedJson))
        {
            Assert.Equal(moving, report.RootElement.GetProperty("rows").GetInt64()); // the saved 150 and the rest
        }

        (int fresh, string freshJson, _) = await Tool.RunAsync(diff);
        Assert.Equal(1, fresh);
        using JsonDocument again = JsonDocument.Parse(freshJson);
        Assert.Contains(again.RootElement.GetProperty("tables").EnumerateArray(), t => t.GetProperty("differentKeys").EnumerateArray().Any(k => k.GetString() == ids[10]));
        Assert.Equal(0, (await Tool.RunAsync([.. split, "--abort"])).ExitCode);
    }

    // Two seeded partitions split to four, stopped before the switch: the copies replicate, the old map serves.
    private async Task<(DemoCluster Cluster, string[] Split)> StoppedSplitAsync()
    {
        DemoCluster cluster = await fixture.ClusterAsync(2, 2, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Keys, Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];
        (int exitCode, string output, string error) = await Tool.RunAsync([.. split, "--stop-before-switch"]);
        Assert.True(exitCode == 0, output + error);
        return (cluster, split);
    }
}
