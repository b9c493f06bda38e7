using System.Diagnostics;
using PlProxy.Client.Hashing;
using Resharding;

namespace PlProxy.Client.Scaffold.Tests.Resharding;

/// <summary>
/// Three client processes, each with its own map kept by LISTEN on the proxy database, write without pause while
/// <c>plproxy split</c> takes the cluster from 4 partitions to 8, or <c>plproxy move</c> moves a partition: every
/// acknowledged write is afterwards on its partition exactly once, nothing else is there, no write failed.
/// </summary>
[Collection(ReshardFixture.Collection)]
public sealed class ReshardUnderLoadTests(ReshardFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Split_WhileThreeClientProcessesWrite_KeepsEveryAcknowledgedWriteOnceOnItsPartition()
    {
        DemoCluster cluster = await fixture.ClusterAsync(4, 4, Token);

        await ReshardWhileWritingAsync(cluster, ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares], [.. cluster.Partitions, .. cluster.Spares]);
    }

    [Fact]
    public async Task Move_WhileThreeClientProcessesWrite_KeepsEveryAcknowledgedWriteOnceOnItsPartition()
    {
        DemoCluster cluster = await fixture.ClusterAsync(4, 1, Token);
        string[] moved = [.. cluster.Partitions];
        moved[1] = cluster.Spares[0];

        await ReshardWhileWritingAsync(cluster, ["move", "--proxy", cluster.Proxy, "--cluster", "users", "--partition", "1", "--to", cluster.Spares[0]], moved);
    }

    [Fact]
    public async Task SplitOverTwoServers_StoppedDiffedAndFinished_WhileThreeClientProcessesWrite_KeepsEveryWriteOnceAndDiffsClean()
    {
        // The scale run's steps (benchmarks --reshard-scale), small: partitions and new databases over two servers, the
        // copy stopped before the switch, diffed while the writes go on (they must not count as differences), finished.
        await using Testing.LocalPostgresServer second = await Testing.LocalPostgresServer.StartAsync(DemoCluster.ServerOptions(), Token);
        DemoCluster cluster = await DemoCluster.CreateAsync([fixture.Server, second], $"two{Guid.NewGuid():N}"[..10] + "_", 4, 4, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Enumerable.Range(0, 3000).Select(i => $"seeded{i}"), Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares];

        await ReshardWhileWritingAsync(cluster, async () =>
        {
            (int stopped, string stoppedOutput, string stoppedError) = await Tool.RunAsync([.. split, "--stop-before-switch"]);
            Assert.True(stopped == 0, stoppedOutput + stoppedError);
            await Task.Delay(500, Token); // writes go on into the replicating copies
            (int diffed, string diffOutput, string diffError) = await Tool.RunAsync(["diff", "--proxy", cluster.Proxy, "--cluster", "users", "--chunk-rows", "500"]);
            Assert.True(diffed == 0, diffOutput + diffError);
            Assert.Contains("moving rows of 4 table copies equal their sources", diffOutput, StringComparison.Ordinal);
            (int finished, string output, string error) = await Tool.RunAsync(split);
            Assert.True(finished == 0, output + error);
            Assert.Contains("written since the last comparison equal their sources (under the fence, by their recorded keys)", output, StringComparison.Ordinal); // not every moving row again
            return stoppedOutput + diffOutput + output;
        }, [.. cluster.Partitions, .. cluster.Spares], seeded: 3000);
    }

    [Fact]
    public async Task Split_WhenMoreKeysAreWrittenDuringTheComparisonThanItHolds_ComparesThemBeforeItEnds_AndKeepsEveryWriteOnce()
    {
        // Enough rows that the chunked comparison takes a while, keys read every 20 ms, and at most 1 held: the writes
        // made meanwhile are compared while it runs, and every write still lands once.
        DemoCluster cluster = await fixture.ClusterAsync(4, 4, Token);
        await ReshardFixture.SeedAsync(cluster.Partitions, Enumerable.Range(0, 100_000).Select(i => $"seeded{i}"), Token);
        string[] split = ["split", "--proxy", cluster.Proxy, "--cluster", "users", "--to", .. cluster.Spares, "--max-pending-keys", "1", "--read-keys-every", "0.02", "--batch-size", "100000"];

        await ReshardWhileWritingAsync(cluster, async () =>
        {
            (int exitCode, string output, string error) = await Tool.RunAsync(split);
            Assert.True(exitCode == 0, output + error);
            Assert.Contains("written so far during the comparison equal their copies (compared before its end: more keys than --max-pending-keys were held)", output, StringComparison.Ordinal);
            return output;
        }, [.. cluster.Partitions, .. cluster.Spares], seeded: 100_000);
    }

    private Task ReshardWhileWritingAsync(DemoCluster cluster, string[] command, string[] finalMap) =>
        ReshardWhileWritingAsync(cluster, async () =>
        {
            (int exitCode, string output, string error) = await Tool.RunAsync(command);
            Assert.True(exitCode == 0, output + error);
            return output;
        }, finalMap, seeded: 0);

    private async Task ReshardWhileWritingAsync(DemoCluster cluster, Func<Task<string>> reshard, string[] finalMap, int seeded)
    {
        WriterProcess[] writers = [.. Enumerable.Range(1, 3).Select(i => WriterProcess.Start(cluster.Proxy, $"w{i}"))];
        try
        {
            var warming = Stopwatch.StartNew();
            while (writers.Any(w => w.Acknowledged < 50))
            {
                Assert.True(warming.Elapsed < TimeSpan.FromSeconds(60), "the writers did not start writing");
                await Task.Delay(50, Token);
            }

            string started = DateTime.Now.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);
            string output = await reshard();
            int afterSwitch = writers.Sum(w => w.Acknowledged);
            while (writers.Sum(w => w.Acknowledged) < afterSwitch + 150)
            {
                await Task.Delay(50, Token); // the new map carries writes too
            }

            var acks = new List<(string Id, string Key, long Milliseconds, string At)>();
            var errors = new List<string>();
            foreach (WriterProcess writer in writers)
            {
                (List<(string Id, string Key, long Milliseconds, string At)> writerAcks, List<string> writerErrors, bool endedCleanly) = await writer.StopAsync(Token);
                Assert.True(endedCleanly, "a writer did not finish its writes and exit 0");
                acks.AddRange(writerAcks);
                errors.AddRange(writerErrors);
            }

            Assert.Equal(finalMap, await ReshardFixture.MapAsync(cluster.Proxy, Token));
            List<(int Database, string Id, string Key)> rows = await ReshardFixture.RowsAsync(finalMap, Token);
            var rowsById = rows.GroupBy(r => r.Id).ToDictionary(g => g.Key, g => g.ToList());
            int lost = acks.Count(a => !rowsById.ContainsKey(a.Id));
            int duplicated = rowsById.Count(g => g.Value.Count > 1);
            int misplaced = rows.Count(r => r.Database != Partitions.IndexOf(PgHash.HashText(r.Key), finalMap.Length));
            int unacknowledged = rows.Count - seeded - acks.Count;
            HashSet<string> moving = [.. acks.Select(a => a.Key).Distinct().Where(k =>
                finalMap[Partitions.IndexOf(PgHash.HashText(k), finalMap.Length)] != cluster.Partitions[Partitions.IndexOf(PgHash.HashText(k), cluster.Partitions.Length)])];
            // Waits while the tool ran (the writers' first calls, before it, include their start-up).
            var during = acks.Where(a => string.CompareOrdinal(a.At, started) >= 0).ToList();
            long longest = during.Max(a => a.Milliseconds);
            long longestUnmoved = during.Where(a => !moving.Contains(a.Key)).Max(a => a.Milliseconds);
            long p99Unmoved = during.Where(a => !moving.Contains(a.Key)).Select(a => a.Milliseconds).Order().ElementAt((int)(during.Count(a => !moving.Contains(a.Key)) * 0.99));
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"writes {acks.Count + errors.Count}, acknowledged {acks.Count}, failed {errors.Count}, lost {lost}, duplicated {duplicated}, misplaced {misplaced}, " +
                $"longest wait {longest} ms, {longestUnmoved} ms for keys that did not move (p99 {p99Unmoved} ms)\n{output}" +
                string.Join('\n', during.OrderByDescending(a => a.Milliseconds).Take(8).Select(a => $"slow: {a.At} {a.Milliseconds} ms {a.Key} {(moving.Contains(a.Key) ? "moving" : "staying")}")));

            Assert.Empty(errors);
            Assert.Equal((0, 0, 0, 0), (lost, duplicated, misplaced, unacknowledged));
            Assert.InRange(longest, 0, 2000);
            Assert.Equal(0, (await Tool.RunAsync(["verify", "--proxy", cluster.Proxy, "--cluster", "users"])).ExitCode);
        }
        finally
        {
            foreach (WriterProcess writer in writers)
            {
                await writer.DisposeAsync();
            }
        }
    }
}
