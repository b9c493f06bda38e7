using System.Collections.Concurrent;
using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Replication;

/// <summary>A partition's standby promoted while the data source runs: what it then holds on the new primary.</summary>
public sealed class PromotionTests
{
    private const string Application = "promotion";
    private const int Cap = 2;

    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task StandbyPromoted_AfterItServedReads_HoldsNoMoreConnectionsAsPrimaryThanTheCapAndItsMonitor()
    {
        // The standby's reads left the cap's connections open to it; once it is the primary, calls open the cap's
        // connections to it again through the partition's pool. The fleet formula counts the cap once per host (and one
        // monitor connection), so the connections the reads left must go when it becomes the primary.
        await using LocalPostgresServer primary = await StandbyFixture.StartPrimaryAsync(Token);
        await using LocalPostgresServer standby = await primary.StartStandbyAsync(cancellationToken: Token);
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            string partition = $"{StandbyFixture.Partition(primary, "rp0", standby)};Application Name={Application}";
            cluster.Partitions.Add(partition);
            cluster.Partitions.Add(partition);
            cluster.MaxConnectionsPerPartition = Cap;
            cluster.CoalesceCalls = false; // each call a connection of its own: the cap's connections all open
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync("k", 0, Token)).InRecovery, "a read on the standby");
        ServedRead[] reads = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => rows.SlowReadAsync("k", 0.05, Token))).WaitAsync(Bound, Token);
        long onStandby = await ConnectionsAsync(standby);

        await primary.StopAsync(Token);
        await standby.PromoteAsync(Token);
        await UntilAsync(async () => await WrittenAsync(rows, 1), "a write on the promoted standby");
        // Once the monitor has seen the promotion, what the reads left is gone: the monitor's connection and the
        // write's remain (the reads' two stayed for Npgsql's five-minute pruning before).
        await UntilAsync(async () => await ConnectionsAsync(standby) <= Cap, "closing of the reads' connections on the promoted standby");
        int most = 0;
        var stopwatch = Stopwatch.StartNew();
        var written = new ConcurrentBag<long>();
        await Task.WhenAll(Enumerable.Range(0, 16).Select(caller => Task.Run(
            async () =>
            {
                for (int i = 0; i < 20; i++)
                {
                    written.Add(await rows.WriteAsync("k", (caller * 100) + i + 10, Token));
                }
            },
            Token)).Append(Task.Run(
            async () =>
            {
                while (written.Count < 320 && stopwatch.Elapsed < Bound)
                {
                    most = Math.Max(most, (int)await ConnectionsAsync(standby));
                    await Task.Delay(20, Token);
                }
            },
            Token))).WaitAsync(Bound, Token);
        most = Math.Max(most, (int)await ConnectionsAsync(standby));

        Assert.All(reads, read => Assert.True(read.InRecovery));
        Assert.True(onStandby >= Cap + 1, $"the reads and the monitor held {onStandby} connections to the standby; the test needs the cap's {Cap} and the monitor's");
        Assert.Equal(320, written.Count);
        Assert.True(most <= Cap + 1, $"{most} connections were open to the promoted standby: the cap is {Cap}, plus one for the standby monitor");
    }

    private static async Task<bool> WrittenAsync(IReplicatedRows rows, long id)
    {
        try
        {
            return await rows.WriteAsync("k", id, Token) == id;
        }
        catch (PlProxyException)
        {
            return false;
        }
    }

    private static async Task<long> ConnectionsAsync(LocalPostgresServer server)
    {
        await using var admin = NpgsqlDataSource.Create(server.ConnectionString("postgres") + ";Pooling=false");
        await using NpgsqlCommand count = admin.CreateCommand($"select count(*) from pg_stat_activity where application_name = '{Application}'");
        return (long)(await count.ExecuteScalarAsync(Token))!;
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"no {what} within 20 s");
            await Task.Delay(50, Token);
        }
    }
}
