using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Replication;

/// <summary>
/// A standby cancels a read for a conflict with recovery (the primary's WAL needs what the read holds, and the standby
/// waits no longer: <c>max_standby_streaming_delay = 0</c>): the read goes to the primary, as the standby docs promise,
/// whatever language the standby's messages are in; one cancelled after its first rows came is read again whole.
/// </summary>
public sealed class RecoveryConflictTests(RecoveryConflictFixture fixture) : IClassFixture<RecoveryConflictFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("C")]
    [InlineData("de_DE.UTF-8")] // eng/test.sh makes the locale: the message is "storniere Anfrage wegen Konflikt mit der Wiederherstellung"
    public async Task MarkedRead_ThatTheStandbyCancelsForAConflictWithRecovery_IsServedByThePrimary(string messages)
    {
        using Impatient impatient = await Impatient.StartAsync(fixture, messages);

        // The read holds a lock on the table on the standby while it sleeps; the primary then takes the table's
        // exclusive lock, which the standby must replay: it cancels the read at once.
        Task<ServedRead> read = impatient.Rows.SlowScanAsync(Key(0), 5, Token);
        await impatient.LockWhileRunningAsync(read, "slow_scan", TimeSpan.Zero);

        Assert.Equal(new ServedRead(false, fixture.Primary.Port, true), await read.WaitAsync(TimeSpan.FromSeconds(30), Token));
        await impatient.CancelledAReadAsync();
    }

    [Fact]
    public async Task MarkedListRead_ThatTheStandbyCancelsAfterItsFirstRows_IsReadAgainWhole()
    {
        using Impatient impatient = await Impatient.StartAsync(fixture);

        // 30 rows over 3 s; the standby has sent some when the primary's lock makes it cancel the read.
        Task<IReadOnlyList<SlowRow>> read = impatient.Rows.SlowRowsAsync(Key(0), 30, Token);
        await impatient.LockWhileRunningAsync(read, "generate_series", TimeSpan.FromMilliseconds(500));
        IReadOnlyList<SlowRow> served = await read.WaitAsync(TimeSpan.FromSeconds(30), Token);

        // Every row once, all from one read: the primary's, or the standby's again once the monitor found it serving.
        Assert.Equal(Enumerable.Range(1, 30), served.Select(r => r.N));
        Assert.Single(served.Select(r => r.InRecovery).Distinct());
        await impatient.CancelledAReadAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task MarkedReadOnAll_ThatOneStandbyCancelsAfterItsFirstRows_ReadsThatPartitionAgainWhole(bool merged)
    {
        using Impatient impatient = await Impatient.StartAsync(fixture);
        await UntilAsync(async () => (await impatient.Rows.ReadAsync(Key(1), 0, Token)).InRecovery, "partition 1's reads on the standby");

        // 20 rows from each partition over 2 s; partition 0's standby cancels its read once some came.
        Task<IReadOnlyList<SlowRowOf>> read = merged ? impatient.Rows.SlowRowsMergedAsync(20, Token) : impatient.Rows.SlowRowsEverywhereAsync(20, Token);
        await impatient.LockWhileRunningAsync(read, "generate_series", TimeSpan.FromMilliseconds(500));
        IReadOnlyList<SlowRowOf> served = await read.WaitAsync(TimeSpan.FromSeconds(30), Token);

        // Partition 0's rows once each, all from one read (the primary's, or the standby's again once the monitor found
        // it serving); partition 1's standby went on.
        Assert.Equal(Enumerable.Range(1, 20), served.Where(r => r.Database == "rp0").Select(r => r.N));
        Assert.Single(served.Where(r => r.Database == "rp0").Select(r => r.InRecovery).Distinct());
        Assert.Equal(Enumerable.Range(1, 20).Select(n => new SlowRowOf(n, InRecovery: true, "rp1")), served.Where(r => r.Database == "rp1"));
        Assert.Equal(40, served.Count);
        if (merged)
        {
            Assert.Equal(served.Select(r => r.N).Order(), served.Select(r => r.N));
        }

        await impatient.CancelledAReadAsync();
    }

    [Fact]
    public async Task MarkedReads_SharingARoundTripThatTheStandbyCancels_AreEachServedWhole()
    {
        // One connection to the standby: a read holds it for a second while eight more queue behind it; they then go
        // in one round trip, each holding the table a fifth of a second, and the primary locks the table meanwhile.
        using Impatient impatient = await Impatient.StartAsync(fixture, connections: 1);
        Task<ServedRead> holder = impatient.Rows.SlowReadAsync(Key(0), 1, Token);
        await impatient.UntilRunningAsync(holder, "slow_read");
        Task<ServedRead>[] queued = [.. Enumerable.Range(0, 8).Select(_ => impatient.Rows.SlowScanAsync(Key(0), 0.2, Token))];
        await holder.WaitAsync(TimeSpan.FromSeconds(30), Token);
        await impatient.LockWhileRunningAsync(Task.WhenAll(queued), "slow_scan", TimeSpan.FromMilliseconds(300));

        ServedRead[] served = await Task.WhenAll(queued).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.All(served, read => Assert.True(read.Found));
        await impatient.CancelledAReadAsync();
    }

    private static string Key(int partition) =>
        Enumerable.Range(0, 100_000).Select(i => $"k{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 2) == partition);

    private static async Task UntilAsync(Func<Task<bool>> condition, string what)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(10), $"no {what} within 10 s");
            await Task.Delay(50, Token);
        }
    }

    /// <summary>A client reading partition 0 from the fixture's impatient standby, whose messages are in the given language.</summary>
    private sealed class Impatient : IDisposable
    {
        private readonly RecoveryConflictFixture _fixture;
        private readonly PlProxyDataSource _source;
        private long _conflictsBefore;

        private Impatient(RecoveryConflictFixture fixture, string messages, int? connections)
        {
            _fixture = fixture;
            _source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
            {
                cluster.Partitions.Add($"{StandbyFixture.Partition(fixture.Primary, "rp0", fixture.Standby)};Options=-c lc_messages={messages}");
                cluster.Partitions.Add($"{StandbyFixture.Partition(fixture.Primary, "rp1", fixture.Standby)};Options=-c lc_messages={messages}");
                cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
                if (connections is { } cap)
                {
                    cluster.MaxConnectionsPerPartition = cap;
                    cluster.LongCallThreshold = null; // the queued reads share a round trip however long they take
                }
            }));
            Rows = _source.CreateProxy<IReplicatedRows>();
        }

        public IReplicatedRows Rows { get; }

        public static async Task<Impatient> StartAsync(RecoveryConflictFixture fixture, string messages = "C", int? connections = null)
        {
            var impatient = new Impatient(fixture, messages, connections) { _conflictsBefore = await fixture.LockConflictsAsync(Token) };
            await UntilAsync(async () => (await impatient.Rows.ReadAsync(Key(0), 0, Token)).InRecovery, "a read on the standby");
            return impatient;
        }

        /// <summary>Once <paramref name="read"/> runs on the standby (its SQL has <paramref name="marker"/>) and <paramref name="after"/> more, the primary locks partition 0's table.</summary>
        public async Task LockWhileRunningAsync(Task read, string marker, TimeSpan after)
        {
            await UntilRunningAsync(read, marker);
            await Task.Delay(after, Token);
            await _fixture.Primary.ExecuteAsync("rp0", "begin; lock table rows in access exclusive mode; commit;", Token);
        }

        /// <summary>Waits until <paramref name="read"/> runs on the standby (its SQL has <paramref name="marker"/>).</summary>
        public async Task UntilRunningAsync(Task read, string marker)
        {
            await using var standby = NpgsqlDataSource.Create(_fixture.Standby.ConnectionString("postgres"));
            await using NpgsqlCommand running = standby.CreateCommand("select count(*) from pg_stat_activity where datname = 'rp0' and state = 'active' and query like '%' || $1 || '%' and pid <> pg_backend_pid()");
            running.Parameters.AddWithValue(marker);
            await UntilAsync(async () => read.IsCompleted
                ? throw new InvalidOperationException($"the read ended before the lock: {read.Exception?.ToString() ?? "no error"}")
                : (long)(await running.ExecuteScalarAsync(Token))! > 0, "the read running on the standby");
        }

        /// <summary>Asserts that the standby cancelled a read for a lock conflict (the client is closed first: its backends then report their statistics).</summary>
        public async Task CancelledAReadAsync()
        {
            _source.Dispose();
            await UntilAsync(async () => await _fixture.LockConflictsAsync(Token) > _conflictsBefore, "read the standby cancelled for a lock conflict (the test did not provoke one)");
        }

        public void Dispose() => _source.Dispose();
    }
}

/// <summary>
/// A primary holding the two partition databases and one streaming-replication standby of it that cancels a
/// conflicting read at once (<c>max_standby_streaming_delay = 0</c>).
/// </summary>
public sealed class RecoveryConflictFixture : IAsyncLifetime
{
    public LocalPostgresServer Primary { get; private set; } = null!;

    public LocalPostgresServer Standby { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        Primary = await StandbyFixture.StartPrimaryAsync(token);
        var options = new LocalPostgresOptions();
        options.Settings["max_standby_streaming_delay"] = "0";
        Standby = await Primary.StartStandbyAsync(options, token);
    }

    /// <summary>The reads of partition 0 the standby has cancelled for a lock conflict, as its backends reported them.</summary>
    public async Task<long> LockConflictsAsync(CancellationToken cancellationToken)
    {
        await using var standby = NpgsqlDataSource.Create(Standby.ConnectionString("postgres"));
        return (long)(await standby.CreateCommand("select confl_lock from pg_stat_database_conflicts where datname = 'rp0'").ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask DisposeAsync()
    {
        await Standby.DisposeAsync();
        await Primary.DisposeAsync();
    }
}
