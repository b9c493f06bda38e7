using System.Diagnostics;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Replication;

/// <summary>
/// A standby cancels a read for a conflict with recovery (the primary's WAL needs what the read holds, and the standby
/// waits no longer: <c>max_standby_streaming_delay = 0</c>): the read goes to the primary, as the standby docs promise,
/// whatever language the standby's messages are in.
/// </summary>
public sealed class RecoveryConflictTests(StandbyFixture fixture) : IClassFixture<StandbyFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("C")]
    [InlineData("de_DE.UTF-8")] // eng/test.sh makes the locale: the message is "storniere Anfrage wegen Konflikt mit der Wiederherstellung"
    public async Task MarkedRead_ThatTheStandbyCancelsForAConflictWithRecovery_IsServedByThePrimary(string messages)
    {
        var options = new LocalPostgresOptions();
        options.Settings["max_standby_streaming_delay"] = "0";
        options.Settings["lc_messages"] = messages;
        await using LocalPostgresServer impatient = await fixture.Primary.StartStandbyAsync(options, Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("replicated", cluster =>
        {
            cluster.Partitions.Add(fixture.Partition("rp0", impatient));
            cluster.Partitions.Add(fixture.Partition("rp1", impatient));
            cluster.StandbyCheckInterval = TimeSpan.FromMilliseconds(100);
        }));
        IReplicatedRows rows = source.CreateProxy<IReplicatedRows>();
        string key = Key(0);
        await UntilAsync(async () => (await rows.ReadAsync(key, 0, Token)).InRecovery, "a read on the standby");
        long conflictsBefore = await LockConflictsAsync(impatient);

        // The read holds a lock on the table on the standby while it sleeps; the primary then takes the table's
        // exclusive lock, which the standby must replay: it cancels the read at once.
        Task<ServedRead> read = rows.SlowScanAsync(key, 5, Token);
        await UntilAsync(() => RunningAsync(impatient), "the read running on the standby");
        await fixture.Primary.ExecuteAsync("rp0", "begin; lock table rows in access exclusive mode; commit;", Token);

        var waited = Stopwatch.StartNew();
        ServedRead served = await read.WaitAsync(TimeSpan.FromSeconds(30), Token);
        TestContext.Current.TestOutputHelper?.WriteLine($"served by the primary {waited.ElapsedMilliseconds} ms after the lock");

        Assert.Equal(new ServedRead(false, fixture.Primary.Port, true), served);
        source.Dispose(); // the standby's backends end, and report their statistics
        await UntilAsync(async () => await LockConflictsAsync(impatient) > conflictsBefore, "read the standby cancelled for a lock conflict (the test did not provoke one)");
    }

    private static async Task<long> LockConflictsAsync(LocalPostgresServer standby)
    {
        await using var connection = NpgsqlDataSource.Create(standby.ConnectionString("postgres"));
        return (long)(await connection.CreateCommand("select confl_lock from pg_stat_database_conflicts where datname = 'rp0'").ExecuteScalarAsync(Token))!;
    }

    private static async Task<bool> RunningAsync(LocalPostgresServer standby)
    {
        await using var connection = NpgsqlDataSource.Create(standby.ConnectionString("postgres"));
        return (long)(await connection.CreateCommand("select count(*) from pg_stat_activity where datname = 'rp0' and query like '%slow_scan%' and state = 'active'").ExecuteScalarAsync(Token))! > 0;
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
}
