using System.Diagnostics;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.IntegrationTests.Replication;

/// <summary>
/// Calls marked [ReadFromStandby] on partitions whose strings name a primary and a streaming-replication standby:
/// where they run (asked of the server that ran them), what a stopped or late standby changes, and read-your-writes.
/// </summary>
public sealed class StandbyReadTests(StandbyFixture fixture) : IClassFixture<StandbyFixture>
{
    private static long _ids = 1000;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task MarkedCalls_OnFreshStandbys_RunThereInEveryShapeAndUnmarkedCallsRunOnThePrimary()
    {
        using PlProxyDataSource source = Source(fixture.Fresh, fixture.Fresh);
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).InRecovery, "a read on the standby");

        for (int i = 0; i < 20; i++)
        {
            string key = Key(i % 2, i);
            long id = Interlocked.Increment(ref _ids);
            Assert.Equal(id, await rows.WriteAsync(key, id, Token));
            Assert.Equal(new ServedRead(false, fixture.Primary.Port, true), await rows.ReadFromPrimaryAsync(key, id, Token));
            ServedRead read = await rows.ReadAsync(key, -5, Token);
            Assert.Equal(new ServedRead(true, fixture.Fresh.Port, false), read);
        }

        Assert.All(await rows.ReadEverywhereAsync("k", Token), r => Assert.Equal(new ServedRead(true, fixture.Fresh.Port, true), r));
        Assert.Equal(new ServedRead(true, fixture.Fresh.Port, true), await rows.ReadAnywhereAsync("k", Token));
    }

    [Fact]
    public async Task MarkedCalls_OnAPartitionWithTwoFreshStandbys_AreSpreadOverBothAndTheHealthCheckShowsEachHost()
    {
        var lags = new System.Collections.Concurrent.ConcurrentBag<(int Port, double Seconds)>();
        var reads = new System.Collections.Concurrent.ConcurrentBag<(string Target, int Port)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Telemetry.TelemetryNames.SourceName && instrument.Name is Telemetry.TelemetryNames.StandbyLag or Telemetry.TelemetryNames.StandbyReads)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        static (string? Target, int Port, string? Database) Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            (string? target, int port, string? database) = (null, 0, null);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                target = tag.Key == Telemetry.TelemetryNames.ReadTarget ? (string?)tag.Value : target;
                port = tag.Key == Telemetry.TelemetryNames.ServerPort ? (int)tag.Value! : port;
                database = tag.Key == Telemetry.TelemetryNames.DbNamespace ? (string?)tag.Value : database;
            }

            return (target, port, database);
        }

        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            if (Tags(tags) is { Database: "rp0" } where)
            {
                lags.Add((where.Port, value));
            }
        });
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            if (Tags(tags) is { Database: "rp0", Target: { } target } where)
            {
                reads.Add((target, where.Port));
            }
        });
        listener.Start();
        string libpq = $"host={fixture.Primary.Host},{fixture.Fresh.Host},{fixture.Behind.Host} port={fixture.Primary.Port},{fixture.Fresh.Port},{fixture.Behind.Port} dbname=rp0 user=postgres connect_timeout=2";
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add(libpq); // libpq's form, as a proxy database gives it
            cluster.Partitions.Add(fixture.Partition("rp1", fixture.Fresh));
            cluster.MaxStandbyLag = TimeSpan.FromSeconds(2);
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).Port == fixture.Behind.Port, "a read on the second standby");

        var ports = new Dictionary<int, int>();
        for (int i = 0; i < 200; i++)
        {
            ServedRead read = await rows.ReadAsync(Key(0, i), -5, Token);
            Assert.True(read.InRecovery);
            ports[read.Port] = ports.GetValueOrDefault(read.Port) + 1;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"200 reads: {string.Join(", ", ports.Select(p => $"{p.Value} on {p.Key}"))}");
        Assert.InRange(ports.GetValueOrDefault(fixture.Fresh.Port), 70, 130);
        Assert.InRange(ports.GetValueOrDefault(fixture.Behind.Port), 70, 130);

        Assert.True(reads.Count(r => r == ("standby", fixture.Fresh.Port)) >= 70, "reads counted on the first standby");
        Assert.True(reads.Count(r => r == ("standby", fixture.Behind.Port)) >= 70, "reads counted on the second standby");
        Assert.Contains(lags, l => l.Port == fixture.Fresh.Port && l.Seconds is >= 0 and < 2);
        Assert.Contains(lags, l => l.Port == fixture.Behind.Port && l.Seconds is >= 0 and < 2);

        IReadOnlyList<Clusters.PartitionHealth> health = await source.CheckPartitionsAsync(TimeSpan.FromSeconds(5), Token);
        Clusters.PartitionHealth first = Assert.Single(health, h => h.Partition == 0);
        Assert.Null(first.Failure);
        Assert.Contains($"{fixture.Primary.Host}:{fixture.Primary.Port} primary", first.Standbys, StringComparison.Ordinal);
        Assert.Matches($@"{fixture.Fresh.Port} standby, \d+\.\d+ s stale", first.Standbys);
        Assert.Matches($@"{fixture.Behind.Port} standby, \d+\.\d+ s stale", first.Standbys);
    }

    [Fact]
    public async Task MarkedCalls_WhenTheStandbyStops_GoToThePrimaryWithoutFailing()
    {
        using PlProxyDataSource source = Source(fixture.Fresh, fixture.Fresh);
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).InRecovery, "a read on the standby");

        await fixture.Fresh.StopAsync(Token);
        try
        {
            for (int i = 0; i < 40; i++)
            {
                Assert.Equal(new ServedRead(false, fixture.Primary.Port, false), await rows.ReadAsync(Key(i % 2, i), -5, Token)); // the first ones may still pick the standby: each falls back
            }
        }
        finally
        {
            await fixture.Fresh.RestartAsync(Token);
        }

        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).InRecovery, "the restarted standby read again");
    }

    [Fact]
    public async Task MarkedReads_InFlightWhenTheStandbyCrashes_AreServedByThePrimary()
    {
        // A cap of 1: a read holds the standby's one connection while eight more queue behind it for one shared round
        // trip; the standby stops at once (immediate shutdown) while that round trip runs. A standby writes nothing, so
        // each read may go again: none fails.
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add(fixture.Partition("rp0", fixture.Fresh));
            cluster.Partitions.Add(fixture.Partition("rp1", fixture.Fresh));
            cluster.MaxConnectionsPerPartition = 1;
            cluster.LongCallThreshold = null; // the queued reads share a round trip however long they take
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).InRecovery, "a read on the standby");

        Task<ServedRead> holder = rows.SlowReadAsync(Key(0), 0.5, Token);
        await Task.Delay(200, Token);
        Task<ServedRead>[] shared = [.. Enumerable.Range(0, 8).Select(_ => rows.SlowReadAsync(Key(0), 0.2, Token))];
        Assert.Equal(new ServedRead(true, fixture.Fresh.Port, true), await holder.WaitAsync(TimeSpan.FromSeconds(30), Token));
        await Task.Delay(300, Token);
        Assert.DoesNotContain(shared, read => read.IsCompleted);
        await fixture.Fresh.StopAsync(Token);
        try
        {
            ServedRead[] served = await Task.WhenAll(shared).WaitAsync(TimeSpan.FromSeconds(30), Token);
            Assert.All(served, read => Assert.Equal(new ServedRead(false, fixture.Primary.Port, true), read));
        }
        finally
        {
            await fixture.Fresh.RestartAsync(Token);
        }
    }

    [Fact]
    public async Task MarkedCalls_WithAStandbyThreeSecondsLate_GoToThePrimaryWhileTheOtherPartitionKeepsItsStandby()
    {
        using PlProxyDataSource source = Source(fixture.Fresh, fixture.Late, lag: TimeSpan.FromSeconds(1));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        // While the primary is idle, the late standby has applied everything: it is fresh.
        await UntilAsync(async () => (await rows.ReadAsync(Key(1), 0, Token)).InRecovery, "partition 1's reads on its late standby while nothing is written");

        using var writing = CancellationTokenSource.CreateLinkedTokenSource(Token);
        Task writer = fixture.WriteContinuouslyAsync(writing.Token);
        try
        {
            var waited = Stopwatch.StartNew();
            await UntilAsync(async () => !(await rows.ReadAsync(Key(1), 0, Token)).InRecovery, "partition 1's reads on the primary");
            TestContext.Current.TestOutputHelper?.WriteLine($"partition 1 read from its primary after {waited.ElapsedMilliseconds} ms of writes");

            for (int i = 0; i < 20; i++)
            {
                Assert.Equal(new ServedRead(true, fixture.Fresh.Port, false), await rows.ReadAsync(Key(0, i), -5, Token));
                Assert.Equal(new ServedRead(false, fixture.Primary.Port, false), await rows.ReadAsync(Key(1, i), -5, Token));
            }
        }
        finally
        {
            await writing.CancelAsync();
            await writer.WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
        }
    }

    [Fact]
    public async Task MarkedCalls_WhileALongReadHoldsEveryConnectionOfTheStandby_StillGoThere_ForTheMonitorChecksOnAConnectionOfItsOwn()
    {
        // A cap of 1: a long read holds the standby's one connection for calls. Were the monitor's check to wait for
        // that connection, it would time out after 1 s and take the standby for down; a read coming meanwhile would go
        // to the primary. It checks on a connection of its own, so that read waits its turn on the standby.
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add(fixture.Partition("rp0", fixture.Fresh));
            cluster.Partitions.Add(fixture.Partition("rp1", fixture.Fresh));
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
            cluster.MaxConnectionsPerPartition = 1;
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).InRecovery, "a read on the standby");

        Task<ServedRead> longRead = rows.SlowReadAsync(Key(0), 3, Token);
        await Task.Delay(TimeSpan.FromSeconds(1.6), Token); // past the monitor's 1-s limit on a check
        Assert.False(longRead.IsCompleted);
        await using (var standby = Npgsql.NpgsqlDataSource.Create(fixture.Fresh.ConnectionString("postgres")))
        {
            // The cap for calls plus the monitor's one, on the standby as on the primary (docs/standbys.md).
            long onStandby = (long)(await standby.CreateCommand("select count(*) from pg_stat_activity where datname = 'rp0' and backend_type = 'client backend'").ExecuteScalarAsync(Token))!;
            Assert.Equal(2, onStandby);
        }

        ServedRead meanwhile = await rows.ReadAsync(Key(0, 1), -5, Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

        Assert.Equal(new ServedRead(true, fixture.Fresh.Port, false), meanwhile);
        Assert.Equal(new ServedRead(true, fixture.Fresh.Port, true), await longRead.WaitAsync(TimeSpan.FromSeconds(30), Token));
    }

    [Fact]
    public async Task PartitionDatabasesOnOneReplicatedServer_ShareOneStandbyMonitorConnectionPerHost()
    {
        // Roles and WAL positions are the server's: the partition databases on the same hosts share one monitor,
        // with one connection to each host, rather than one each.
        using PlProxyDataSource source = Source(fixture.Fresh, fixture.Fresh);
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).InRecovery && (await rows.ReadAsync(Key(1), 0, Token)).InRecovery, "reads on the standby of both partitions");
        await Task.Delay(300, Token); // a few more checks

        foreach (Testing.LocalPostgresServer host in (Testing.LocalPostgresServer[])[fixture.Primary, fixture.Fresh])
        {
            await using var server = Npgsql.NpgsqlDataSource.Create(host.ConnectionString("postgres"));
            long monitors = (long)(await server.CreateCommand("select count(*) from pg_stat_activity where datname in ('rp0', 'rp1') and query like '%pg_current_wal_insert_lsn%'").ExecuteScalarAsync(Token))!;
            Assert.Equal(1, monitors);
        }
    }

    [Fact]
    public async Task MarkedCalls_WhereAPartitionNamesAnotherServersStandby_NeverRunThere_AndTheHealthCheckSaysWhy()
    {
        // An operator's slip: partition 0's string names the standby of another server, whose WAL is far ahead of this
        // primary's. Its positions say nothing of this primary's commits, nor its rows of this partition's.
        await using Testing.LocalPostgresServer other = await StandbyFixture.StartPrimaryAsync(Token);
        await using Testing.LocalPostgresServer othersStandby = await other.StartStandbyAsync(cancellationToken: Token);
        await using (var primary = Npgsql.NpgsqlDataSource.Create(fixture.Primary.ConnectionString("postgres")))
        await using (var elsewhere = Npgsql.NpgsqlDataSource.Create(other.ConnectionString("rp0")))
        {
            async Task<ulong> LsnAsync(Npgsql.NpgsqlDataSource server, string sql) =>
                (ulong)(NpgsqlTypes.NpgsqlLogSequenceNumber)(await server.CreateCommand(sql).ExecuteScalarAsync(Token))!;
            while (await LsnAsync(elsewhere, "select pg_current_wal_insert_lsn()") < await LsnAsync(primary, "select pg_current_wal_insert_lsn()") + (64UL << 20))
            {
                await elsewhere.CreateCommand("insert into rows values (-2, 'wal'); select pg_switch_wal();").ExecuteNonQueryAsync(Token);
            }
        }

        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add(StandbyFixture.Partition(fixture.Primary, "rp0", othersStandby));
            cluster.Partitions.Add(fixture.Partition("rp1", fixture.Fresh));
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(1), 0, Token)).InRecovery, "a read on the other partition's standby");
        await Task.Delay(500, Token); // several checks, the other server's standby replaying its WAL meanwhile

        for (int i = 0; i < 40; i++)
        {
            string key = Key(0, i);
            long id = Interlocked.Increment(ref _ids);
            await rows.WriteAsync(key, id, Token);
            Assert.Equal(new ServedRead(false, fixture.Primary.Port, true), await rows.ReadAsync(key, id, Token));
        }

        IReadOnlyList<Clusters.PartitionHealth> health = await source.CheckPartitionsAsync(TimeSpan.FromSeconds(5), Token);
        Assert.Contains($"{othersStandby.Port} not a replica of the primary", Assert.Single(health, h => h.Partition == 0).Standbys, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteThenRead_AgainstAStandbyHalfASecondLate_IsNeverStaleWithReadYourWritesAndOftenStaleWithout(bool readYourWrites)
    {
        using PlProxyDataSource source = Source(fixture.Behind, fixture.Behind, lag: TimeSpan.FromSeconds(2), readYourWrites: readYourWrites);
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(1), 0, Token)).InRecovery, "a read on the standby");

        int stale = 0;
        int onStandby = 0;
        const int Pairs = 2000;
        for (int i = 0; i < Pairs; i++)
        {
            string key = Key(0, i);
            long id = Interlocked.Increment(ref _ids);
            await rows.WriteAsync(key, id, Token);
            ServedRead read = await rows.ReadAsync(key, id, Token);
            stale += read.Found ? 0 : 1;
            onStandby += read.InRecovery ? 1 : 0;
        }

        // The partition nobody wrote to through this data source keeps reading from its standby either way.
        Assert.True((await rows.ReadAsync(Key(1), 0, Token)).InRecovery);
        TestContext.Current.TestOutputHelper?.WriteLine($"read-your-writes {readYourWrites}: {stale} stale of {Pairs}, {onStandby} read on the standby");
        if (readYourWrites)
        {
            Assert.Equal(0, stale);
        }
        else
        {
            Assert.True(stale > Pairs / 2, $"only {stale} of {Pairs} reads were stale: the test would not show read-your-writes at work");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task WriteThenRead_FromCallersSharingRoundTrips_AgainstAStandbyHalfASecondLate_IsNeverStaleWithReadYourWritesAndOftenStaleWithout(bool readYourWrites)
    {
        // One connection per host: the writes of eight callers share round trips on the primary, their reads on the
        // standby or the primary; each read still sees its caller's write.
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add(fixture.Partition("rp0", fixture.Behind));
            cluster.Partitions.Add(fixture.Partition("rp1", fixture.Behind));
            cluster.MaxStandbyLag = TimeSpan.FromSeconds(2);
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
            cluster.ReadYourWrites = readYourWrites;
            cluster.MaxConnectionsPerPartition = 1;
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0), 0, Token)).InRecovery, "a read on the standby");

        int[] stale = await Task.WhenAll(Enumerable.Range(0, 8).Select(caller => Task.Run(
            async () =>
            {
                int mine = 0;
                for (int i = 0; i < 40; i++)
                {
                    string key = Key(0, (caller * 40) + i);
                    long id = Interlocked.Increment(ref _ids);
                    await rows.WriteAsync(key, id, Token);
                    mine += (await rows.ReadAsync(key, id, Token)).Found ? 0 : 1;
                }

                return mine;
            },
            Token))).WaitAsync(TimeSpan.FromSeconds(120), Token);

        if (readYourWrites)
        {
            Assert.Equal(0, stale.Sum());
        }
        else
        {
            Assert.True(stale.Sum() > 160, $"only {stale.Sum()} of 320 reads were stale: the test would not show read-your-writes at work");
        }
    }

    [Fact]
    public async Task WriteThroughGetPartition_ThenAMarkedRead_AgainstAStandbyHalfASecondLate_IsNeverStaleWithReadYourWrites()
    {
        using PlProxyDataSource source = Source(fixture.Behind, fixture.Behind, lag: TimeSpan.FromSeconds(2), readYourWrites: true);
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        await UntilAsync(async () => (await rows.ReadAsync(Key(0, 7), 0, Token)).InRecovery, "a read on the standby");

        int stale = 0;
        const int Pairs = 200;
        for (int i = 0; i < Pairs; i++)
        {
            string key = Key(0, i);
            long id = Interlocked.Increment(ref _ids);
            await using (PlProxyPartition partition = await source.GetPartitionAsync("replicated", PgHash.HashText(key), Token))
            await using (Npgsql.NpgsqlConnection connection = await partition.DataSource.OpenConnectionAsync(Token))
            await using (var insert = new Npgsql.NpgsqlCommand("insert into rows values ($1, $2)", connection) { Parameters = { new() { Value = id }, new() { Value = key } } })
            {
                await insert.ExecuteNonQueryAsync(Token); // Dapper's, EF Core's or a transaction's write, on the partition's primary
            }

            stale += (await rows.ReadAsync(key, id, Token)).Found ? 0 : 1;
        }

        Assert.Equal(0, stale);
        Assert.True((await rows.ReadAsync(Key(1), 0, Token)).InRecovery); // the partition not written to still reads its standby
    }

    private PlProxyDataSource Source(Testing.LocalPostgresServer standby0, Testing.LocalPostgresServer standby1, TimeSpan? lag = null, bool readYourWrites = false) =>
        PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add(fixture.Partition("rp0", standby0));
            cluster.Partitions.Add(fixture.Partition("rp1", standby1));
            cluster.MaxStandbyLag = lag ?? TimeSpan.FromSeconds(1);
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
            cluster.ReadYourWrites = readYourWrites;
        }));

    private static string Key(int partition, int salt = 0) =>
        Enumerable.Range(salt * 100, 100_000).Select(i => $"k{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 2) == partition);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"no {what} within 10 s");
            await Task.Delay(50, Token);
        }
    }
}
