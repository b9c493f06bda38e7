using Npgsql;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Replication;

[PlProxy("CLUSTER 'replicated';")]
public interface IReplicatedRows
{
    [PlProxy("RUN ON hashtext(key); TARGET write_row;")]
    Task<long> WriteAsync(string key, long id, CancellationToken cancellationToken = default);

    [ReadFromStandby]
    [PlProxy("RUN ON hashtext(key); TARGET read_row;")]
    Task<ServedRead> ReadAsync(string key, long id, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(key); TARGET read_row;")]
    Task<ServedRead> ReadFromPrimaryAsync(string key, long id, CancellationToken cancellationToken = default);

    [ReadFromStandby]
    [PlProxy("RUN ON ALL; TARGET where_am_i;")]
    Task<IReadOnlyList<ServedRead>> ReadEverywhereAsync(string key, CancellationToken cancellationToken = default);

    [ReadFromStandby]
    [PlProxy("RUN ON ANY; TARGET where_am_i;")]
    Task<ServedRead> ReadAnywhereAsync(string key, CancellationToken cancellationToken = default);

    [ReadFromStandby]
    [PlProxy("RUN ON hashtext(key); TARGET slow_read;")]
    Task<ServedRead> SlowReadAsync(string key, double seconds, CancellationToken cancellationToken = default);

    [ReadFromStandby]
    [PlProxy("RUN ON hashtext(key); TARGET slow_scan;")]
    Task<ServedRead> SlowScanAsync(string key, double seconds, CancellationToken cancellationToken = default);

    // Rows as they come, a tenth of a second apart after the first, each read holding the table.
    [ReadFromStandby]
    [PlProxy("RUN ON hashtext(key); SELECT g AS n, pg_is_in_recovery() AS in_recovery FROM generate_series(1, wanted) g, LATERAL (SELECT pg_sleep(CASE WHEN g = 1 THEN 0 ELSE 0.1 END), (SELECT count(*) FROM rows) AS c) s;")]
    Task<IReadOnlyList<SlowRow>> SlowRowsAsync(string key, int wanted, CancellationToken cancellationToken = default);

    [ReadFromStandby]
    [PlProxy("RUN ON ALL; SELECT g AS n, pg_is_in_recovery() AS in_recovery, current_database()::text AS database FROM generate_series(1, wanted) g, LATERAL (SELECT pg_sleep(CASE WHEN g = 1 THEN 0 ELSE 0.1 END), (SELECT count(*) FROM rows) AS c) s;")]
    Task<IReadOnlyList<SlowRowOf>> SlowRowsEverywhereAsync(int wanted, CancellationToken cancellationToken = default);

    [ReadFromStandby]
    [MergeOrder("n")]
    [PlProxy("RUN ON ALL; SELECT g AS n, pg_is_in_recovery() AS in_recovery, current_database()::text AS database FROM generate_series(1, wanted) g, LATERAL (SELECT pg_sleep(CASE WHEN g = 1 THEN 0 ELSE 0.1 END), (SELECT count(*) FROM rows) AS c) s;")] // in order of n as generated: a sort would read every row before the first came
    Task<IReadOnlyList<SlowRowOf>> SlowRowsMergedAsync(int wanted, CancellationToken cancellationToken = default);
}

/// <summary>A row of <see cref="IReplicatedRows.SlowRowsAsync"/>.</summary>
public sealed record SlowRow(int N, bool InRecovery);

/// <summary>A row of <see cref="IReplicatedRows.SlowRowsEverywhereAsync"/>: where it was read.</summary>
public sealed record SlowRowOf(int N, bool InRecovery, string Database);

/// <summary>Where a read ran and what it found.</summary>
public sealed record ServedRead(bool InRecovery, int Port, bool Found);

/// <summary>
/// One primary holding two partition databases and three streaming-replication standbys of it (pg_basebackup -R):
/// one replaying at once, one 3 s late, one 500 ms late (recovery_min_apply_delay). A partition string names the
/// primary and one standby.
/// </summary>
public sealed class StandbyFixture : IAsyncLifetime
{
    public const string Schema = """
        create table rows (id int8 not null, key text not null);
        create function write_row(i_key text, i_id int8) returns int8 language sql as $$ insert into rows values (i_id, i_key) returning id $$;
        create function read_row(i_key text, i_id int8, out in_recovery bool, out port int, out found bool) language sql as $$
            select pg_is_in_recovery(), current_setting('port')::int, exists (select 1 from rows where id = i_id) $$;
        create function where_am_i(i_key text, out in_recovery bool, out port int, out found bool) language sql as $$
            select pg_is_in_recovery(), current_setting('port')::int, true $$;
        create function slow_read(i_key text, i_seconds float8, out in_recovery bool, out port int, out found bool) language sql as $$
            select pg_is_in_recovery(), current_setting('port')::int, true from (select pg_sleep(i_seconds)) s $$;
        create function slow_scan(i_key text, i_seconds float8, out in_recovery bool, out port int, out found bool) language sql as $$
            select pg_is_in_recovery(), current_setting('port')::int, (select count(*) from rows) >= 0 from (select pg_sleep(i_seconds)) s $$;
        """;

    public LocalPostgresServer Primary { get; private set; } = null!;

    /// <summary>Replays at once.</summary>
    public LocalPostgresServer Fresh { get; private set; } = null!;

    /// <summary>Applies each commit 3 s late.</summary>
    public LocalPostgresServer Late { get; private set; } = null!;

    /// <summary>Applies each commit 500 ms late.</summary>
    public LocalPostgresServer Behind { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        Primary = await StartPrimaryAsync(token);

        Fresh = await Primary.StartStandbyAsync(cancellationToken: token);
        Late = await Primary.StartStandbyAsync(Delayed("3s"), token);
        Behind = await Primary.StartStandbyAsync(Delayed("500ms"), token);
    }

    /// <summary>Partition <paramref name="database"/> as the primary and <paramref name="standby"/>, in Npgsql's multi-host form.</summary>
    public string Partition(string database, LocalPostgresServer standby) => Partition(Primary, database, standby);

    /// <summary>Partition <paramref name="database"/> as <paramref name="primary"/> and <paramref name="standby"/>, in Npgsql's multi-host form.</summary>
    public static string Partition(LocalPostgresServer primary, string database, LocalPostgresServer standby) =>
        $"Host={primary.Host}:{primary.Port},{standby.Host}:{standby.Port};Database={database};Username={LocalPostgresServer.Superuser};Timeout=2";

    /// <summary>A primary holding the two partition databases with <see cref="Schema"/>.</summary>
    public static async Task<LocalPostgresServer> StartPrimaryAsync(CancellationToken cancellationToken)
    {
        LocalPostgresServer primary = await LocalPostgresServer.StartAsync(cancellationToken: cancellationToken);
        foreach (string database in (string[])["rp0", "rp1"])
        {
            await primary.CreateDatabaseAsync(database, cancellationToken: cancellationToken);
            await primary.ExecuteAsync(database, Schema, cancellationToken);
        }

        return primary;
    }

    /// <summary>A write on the primary every few milliseconds until <paramref name="stop"/>: the WAL moves, so a late standby's lag shows.</summary>
    public async Task WriteContinuouslyAsync(CancellationToken stop)
    {
        await using var primary = NpgsqlDataSource.Create(Primary.ConnectionString("rp1"));
        while (!stop.IsCancellationRequested)
        {
            await using NpgsqlCommand command = primary.CreateCommand("insert into rows values (-1, 'tick')");
            await command.ExecuteNonQueryAsync(CancellationToken.None);
            try
            {
                await Task.Delay(20, stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Behind.DisposeAsync();
        await Late.DisposeAsync();
        await Fresh.DisposeAsync();
        await Primary.DisposeAsync();
    }

    private static LocalPostgresOptions Delayed(string delay)
    {
        var options = new LocalPostgresOptions();
        options.Settings["recovery_min_apply_delay"] = delay;
        return options;
    }
}
