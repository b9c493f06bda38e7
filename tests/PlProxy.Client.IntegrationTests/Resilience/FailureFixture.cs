using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Resilience;

[PlProxy("CLUSTER 'events';")]
public interface IEvents
{
    [PlProxy("RUN ON hashtext(key);")]
    Task<long> WriteEventAsync(string key, long id, CancellationToken cancellationToken = default);

    [Idempotent]
    [PlProxy("RUN ON hashtext(key);")]
    Task<string> ReadDatabaseAsync(string key, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ANY; TARGET read_database;")]
    Task<string> AnyDatabaseAsync(string key, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON 0;")]
    Task<int> SlowAsync(double seconds, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(key);")]
    Task<int> FailWithAsync(string key, string state, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON ALL; TARGET read_database;")]
    Task<IReadOnlyList<string>> AllDatabasesAsync(string key, CancellationToken cancellationToken = default);

    [Idempotent]
    [PlProxy("RUN ON ALL; TARGET read_database;")]
    Task<PlProxyPartialResult<string>> GatherDatabasesAsync(string key, CancellationToken cancellationToken = default);
}

/// <summary>
/// Two PostgreSQL instances (so that one can be stopped): partitions 0 and 1 on the first, 2 and 3 on the second,
/// durable settings (fsync on) so that written rows can be counted after a crash.
/// </summary>
public sealed class FailureFixture : IAsyncLifetime
{
    public const string Schema = """
        create table events (id int8 primary key, key text not null);
        create function write_event(i_key text, i_id int8) returns int8 language sql as $$ insert into events values (i_id, i_key) returning id $$;
        create function read_database(i_key text) returns text language sql as $$ select current_database()::text $$;
        create function slow(i_seconds float8) returns int language sql as $$ select 1 from pg_sleep(i_seconds) $$;
        create function fail_with(i_key text, i_state text) returns int language plpgsql as $$
        begin
            raise exception 'failed with %', i_state using errcode = i_state;
        end $$;
        """;

    public LocalPostgresServer First { get; private set; } = null!;

    public LocalPostgresServer Second { get; private set; } = null!;

    public string[] Partitions { get; private set; } = [];

    public LocalPostgresServer ServerOf(int partition) => partition < 2 ? First : Second;

    public static string Database(int partition) => $"ev{partition}";

    public async ValueTask InitializeAsync()
    {
        var durable = new LocalPostgresOptions();
        durable.Settings["fsync"] = "on";
        First = await LocalPostgresServer.StartAsync(durable);
        Second = await LocalPostgresServer.StartAsync(durable);
        Partitions = new string[4];
        for (int i = 0; i < 4; i++)
        {
            Partitions[i] = await ServerOf(i).CreateDatabaseAsync(Database(i)) + ";Timeout=2;Include Error Detail=true";
            await ServerOf(i).ExecuteAsync(Database(i), Schema);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await First.DisposeAsync();
        await Second.DisposeAsync();
    }
}
