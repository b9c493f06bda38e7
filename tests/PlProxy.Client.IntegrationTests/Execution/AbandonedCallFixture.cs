using Npgsql;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>Statements that return many rows fast, or a row every 10 ms, on each of four partitions.</summary>
[PlProxy("CLUSTER 'rows';")]
public interface IRowSource
{
    // generate_series in the select list streams its rows (in FROM it would first materialise them all).
    [PlProxy("RUN ON ALL; SELECT generate_series(1, count) AS n;")]
    IAsyncEnumerable<long> AllFastAsync(long count, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 0; SELECT generate_series(1, count) AS n;")]
    IAsyncEnumerable<long> OneFastAsync(long count, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; SELECT n FROM generate_series(1, count) n CROSS JOIN LATERAL (SELECT pg_sleep(0.01 + n * 0)) s;")]
    IAsyncEnumerable<long> AllSlowAsync(long count, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 0; SELECT n FROM generate_series(1, count) n CROSS JOIN LATERAL (SELECT pg_sleep(0.01 + n * 0)) s;")]
    Task<IReadOnlyList<long>> OneSlowListAsync(long count, CancellationToken cancellationToken = default);

    // rows0 fails on its first row; the others go on sending rows.
    [PlProxy("RUN ON ALL; SELECT n FROM (SELECT generate_series(1, count) AS n) g WHERE 1 / (CASE WHEN current_database() = 'rows0' THEN 0 ELSE 1 END) = 1;")]
    Task<IReadOnlyList<long>> FirstFailsFastAsync(long count, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; SELECT n FROM generate_series(1, count) n CROSS JOIN LATERAL (SELECT pg_sleep(CASE WHEN current_database() = 'rows0' THEN 0 ELSE 0.01 + n * 0 END)) s WHERE 1 / (CASE WHEN current_database() = 'rows0' THEN 0 ELSE 1 END) = 1;")]
    Task<IReadOnlyList<long>> FirstFailsSlowAsync(long count, CancellationToken cancellationToken = default);

    // rows0 fails at once; the others send nothing for 40 s.
    [PlProxy("RUN ON ALL; SELECT count AS r FROM pg_sleep(CASE WHEN current_database() = 'rows0' THEN 0 ELSE 40 END) WHERE 1 / (CASE WHEN current_database() = 'rows0' THEN 0 ELSE 1 END) = 1;")]
    Task<IReadOnlyList<long>> FirstFailsOthersSilentAsync(long count, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; SELECT count::int8 AS r;")]
    Task<IReadOnlyList<long>> EchoAllAsync(long count, CancellationToken cancellationToken = default);
}

/// <summary>A PostgreSQL of its own with four partition databases, so that its activity can be inspected without other tests' statements.</summary>
public sealed class AbandonedCallFixture : IAsyncLifetime
{
    public LocalPostgresServer Server { get; private set; } = null!;

    public string[] Partitions { get; private set; } = [];

    public async ValueTask InitializeAsync()
    {
        Server = await LocalPostgresServer.StartAsync();
        Partitions = new string[4];
        for (int i = 0; i < 4; i++)
        {
            Partitions[i] = await Server.CreateDatabaseAsync($"rows{i}");
        }
    }

    /// <summary>Statements of the partitions still running (other than this query's own).</summary>
    public async Task<int> ActiveStatementsAsync(CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(Server.ConnectionString());
        await using NpgsqlCommand command = dataSource.CreateCommand(
            "select count(*)::int from pg_stat_activity where datname like 'rows%' and state = 'active' and pid <> pg_backend_pid()");
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask DisposeAsync() => await Server.DisposeAsync();
}
