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

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task MarkedReads_AfterAFailover_NeverGoToAStandbyLeftOnTheOldPrimarysTimeline(bool readsAllStats)
    {
        // Standby b lags behind standby c when the primary dies; b is promoted (a new timeline, forked where b stood),
        // and c, which replayed past that point, cannot follow it: it holds commits b never had and will never get
        // b's. Its replay position is still ahead of b's WAL, so by position alone it looked fresh: marked reads went
        // there, missing b's writes (read-your-writes too) and finding the old primary's lost rows.
        // A role that may not read pg_stat_wal_receiver's details (pg_read_all_stats) knows a standby's timeline by its
        // last restartpoint only.
        await using LocalPostgresServer a = await StandbyFixture.StartPrimaryAsync(Token);
        string role = readsAllStats ? LocalPostgresServer.Superuser : "app";
        await a.ExecuteAsync("rp0", "create role app login; grant select, insert on rows to app", Token);
        await using LocalPostgresServer b = await a.StartStandbyAsync(cancellationToken: Token);
        await using LocalPostgresServer c = await a.StartStandbyAsync(cancellationToken: Token);
        await using LocalPostgresServer d = await a.StartStandbyAsync(cancellationToken: Token); // will follow b
        await b.StopAsync(Token);
        await d.StopAsync(Token);
        await using (var onA = NpgsqlDataSource.Create(a.ConnectionString("rp0")))
        {
            await using NpgsqlCommand lost = onA.CreateCommand("insert into rows values (7, 'k'); insert into rows select -1, 'pad' from generate_series(1, 100000)");
            await lost.ExecuteNonQueryAsync(Token);
            await using NpgsqlCommand position = onA.CreateCommand("select pg_current_wal_lsn()");
            var written = (NpgsqlTypes.NpgsqlLogSequenceNumber)(await position.ExecuteScalarAsync(Token))!;
            await using var onC = NpgsqlDataSource.Create(c.ConnectionString("rp0"));
            await UntilAsync(
                async () =>
                {
                    await using NpgsqlCommand replayed = onC.CreateCommand("select pg_last_wal_replay_lsn()");
                    return (NpgsqlTypes.NpgsqlLogSequenceNumber)(await replayed.ExecuteScalarAsync(Token))! >= written;
                },
                "replay of the old primary's last commits on c");
        }

        await a.StopAsync(Token);
        await b.RestartAsync(Token);
        await b.PromoteAsync(Token);
        await d.RestartAsync(Token);
        await using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add($"Host={b.Host}:{b.Port},{c.Host}:{c.Port},{d.Host}:{d.Port};Database=rp0;Username={role};Timeout=2");
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
            cluster.ReadYourWrites = true;
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => await WrittenAsync(rows, 8), "a write on the promoted standby");
        await Task.Delay(500, Token); // several checks of the monitor

        var reads = new List<(ServedRead Written, ServedRead Lost)>();
        for (int i = 0; i < 20; i++)
        {
            reads.Add((await rows.ReadAsync("k", 8, Token), await rows.ReadAsync("k", 7, Token)));
        }

        Assert.All(reads, read => Assert.Equal((true, false), (read.Written.Found, read.Lost.Found)));
        Assert.All(reads, read => Assert.Equal((b.Port, b.Port), (read.Written.Port, read.Lost.Port)));
        IReadOnlyList<Clusters.PartitionHealth> health = await source.CheckPartitionsAsync(TimeSpan.FromSeconds(5), Token);
        Assert.Contains($"{c.Port} standby on timeline 1, not the primary's 2: not read from", Assert.Single(health).Standbys, StringComparison.Ordinal);

        // d stopped where b did, before the lost commits: pointed at b, it follows the new timeline and serves reads again.
        await d.ExecuteAsync("postgres", $"alter system set primary_conninfo = 'host={b.Host} port={b.Port} user={LocalPostgresServer.Superuser}'", Token);
        await d.ExecuteAsync("postgres", "select pg_reload_conf()", Token);
        if (!readsAllStats)
        {
            // Its first restartpoint on the new timeline (checkpoint_timeout, or a CHECKPOINT on it) makes it known there.
            await b.ExecuteAsync("postgres", "checkpoint", Token);
            await using var admin = NpgsqlDataSource.Create(d.ConnectionString("postgres"));
            await UntilAsync(
                async () =>
                {
                    await using NpgsqlCommand restart = admin.CreateCommand("checkpoint; select timeline_id::int8 from pg_control_checkpoint()");
                    return (long)(await restart.ExecuteScalarAsync(Token))! == 2;
                },
                "a restartpoint of d on timeline 2");
        }

        ServedRead onD = await UntilReadAsync(rows, 9, d.Port);
        Assert.Equal((true, true), (onD.InRecovery, onD.Found));
        Assert.False((await rows.ReadAsync("k", 7, Token)).Found);
    }

    // Writes id and reads it back marked until a read is served by the standby on port, read-your-writes holding throughout.
    private static async Task<ServedRead> UntilReadAsync(IReplicatedRows rows, long id, int port)
    {
        var waited = Stopwatch.StartNew();
        await rows.WriteAsync("k", id, Token);
        while (true)
        {
            ServedRead read = await rows.ReadAsync("k", id, Token);
            Assert.True(read.Found, $"a marked read after the write of {id} did not find it (port {read.Port})");
            if (read.Port == port)
            {
                return read;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(20), $"no read served by the standby on port {port} within 20 s");
            await Task.Delay(50, Token);
        }
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
