using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Execution;

/// <summary>Calls that wait for a capped partition's connections, on one real partition database.</summary>
[PlProxy("CLUSTER 'capped'; RUN ON 0;")]
public interface ICappedDb
{
    [PlProxy("")]
    Task<int> EchoAsync(int value, CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<int> SlowEchoAsync(int value, double seconds, CancellationToken cancellationToken = default);

    // Slow calls that go into shared round trips, one method per test: how long a method's statements take is learnt
    // per method (LongCallThreshold), so each test's slow method starts unmeasured.
    [PlProxy("TARGET slow_echo;")]
    Task<int> KilledInARoundTripAsync(int value, double seconds, CancellationToken cancellationToken = default);

    [PlProxy("TARGET slow_echo;")]
    Task<int> TimedOutInARoundTripAsync(int value, double seconds, CancellationToken cancellationToken = default);

    [PlProxy("TARGET slow_echo;")]
    Task<int> AbandonedBesideAsync(int value, double seconds, CancellationToken cancellationToken = default);

    [PlProxy("TARGET slow_echo;")]
    Task<int> LearntLongAsync(int value, double seconds, CancellationToken cancellationToken = default);

    // Quick, learnt so by one test, unless its value is negative: then it waits for an advisory lock the test holds.
    [PlProxy("")]
    Task<int> QuickUnlessHeldAsync(int value, CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<long> WriteOnceAsync(int id, int failing, CancellationToken cancellationToken = default);

    [Idempotent]
    [PlProxy("TARGET write_once;")]
    Task<long> IdempotentWriteOnceAsync(int id, int failing, CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<int> LockedEchoAsync(int value, CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<long> WriteCheckedAtCommitAsync(int id, int failing, CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<IReadOnlyList<int>> SeriesAsync(int count, CancellationToken cancellationToken = default);

    [PlProxy("TARGET series;")]
    IAsyncEnumerable<int> StreamSeriesAsync(int count, CancellationToken cancellationToken = default);

    [PlProxy("TARGET own_transaction;")]
    Task<long> SharedTransactionAsync(CancellationToken cancellationToken = default);

    [NotCoalesced]
    [PlProxy("TARGET own_transaction;")]
    Task<long> OwnTransactionAsync(CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<long> FailsFirstInARoundTripAsync(int value, CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<PlProxyPartialResult<int>> PartialEchoAsync(int value, CancellationToken cancellationToken = default);
}

/// <summary>The capped partition as a second cluster names it (its connection string written in another order).</summary>
[PlProxy("CLUSTER 'capped_ro'; RUN ON 0;")]
public interface ICappedReadDb
{
    [PlProxy("")]
    Task<int> SlowEchoAsync(int value, double seconds, CancellationToken cancellationToken = default);
}

/// <summary>The capped partition's database reached by CONNECT, outside any cluster.</summary>
public interface IConnectedDb
{
    [PlProxy("CONNECT connstr; SELECT slow_echo(value, seconds);")]
    Task<int> SlowEchoAsync(string connstr, int value, double seconds, CancellationToken cancellationToken = default);
}

/// <summary>One throwaway PostgreSQL with one partition database whose functions echo, sleep, write once and fail on demand.</summary>
public sealed class CoalescingFixture : IAsyncLifetime
{
    public const string Collection = "Capped partition";

    private const string Schema = """
        create table writes (id int primary key, written_at timestamptz not null default clock_timestamp());
        create function echo(value int) returns int language sql as $$ select value $$;
        create function slow_echo(value int, seconds float8) returns int language sql as $$ select value from (select pg_sleep(seconds)) s $$;
        create function write_once(id int, failing int) returns int8 language plpgsql as $$
            begin
                insert into writes (id) values (id);
                if id = failing then raise exception 'call % fails', id using errcode = 'P0042'; end if;
                return id;
            end $$;
        create table checked_at_commit (id int, constraint checked_at_commit_once unique (id) deferrable initially deferred);
        create function write_checked_at_commit(id int, failing int) returns int8 language plpgsql as $$
            begin
                insert into writes (id) values (id);
                insert into checked_at_commit (id) values (id);
                if id = failing then insert into checked_at_commit (id) values (id); end if; -- a duplicate found at commit
                return id;
            end $$;
        create function locked_echo(value int) returns int language plpgsql as $$
            begin
                perform pg_advisory_xact_lock_shared(43); -- waits while a test holds the lock
                return value;
            end $$;
        create function series(count int) returns setof int language sql as $$ select generate_series(1, count) $$;
        create function own_transaction() returns int8 language sql as $$ select txid_current() $$;
        create function partial_echo(value int) returns int language sql as $$ select value $$;
        create function quick_unless_held(value int) returns int language plpgsql as $$
            begin
                if value < 0 then perform pg_advisory_xact_lock_shared(42); end if;
                return value;
            end $$;
        create sequence first_attempts;
        create function fails_first_in_a_round_trip(value int) returns int8 language plpgsql as $$
            begin
                insert into writes (id) values (value);
                if nextval('first_attempts') = 1 then raise exception 'could not serialize' using errcode = '40001'; end if;
                return currval('first_attempts');
            end $$;
        """;

    private LocalPostgresServer? _server;

    public LocalPostgresServer Server => _server!;

    public string Partition { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _server = await LocalPostgresServer.StartAsync();
        Partition = await _server.CreateDatabaseAsync("capped0");
        await _server.ExecuteAsync("capped0", Schema);
    }

    /// <summary>A data source over the partition, its connections named <paramref name="application"/> (to count them).</summary>
    public PlProxyDataSource Create(string application, Action<PlProxyClusterOptions> configure, Action<PlProxyOptions>? options = null) =>
        PlProxyDataSource.Create(Options(application, configure, options));

    /// <summary>The options <see cref="Create"/> gives a data source (for a reconfiguration of it).</summary>
    public PlProxyOptions Options(string application, Action<PlProxyClusterOptions> configure, Action<PlProxyOptions>? options = null)
    {
        var o = new PlProxyOptions();
        o.AddCluster("capped", cluster =>
        {
            cluster.Partitions.Add($"{Partition};Application Name={application};Include Error Detail=true");
            configure(cluster);
        });
        options?.Invoke(o);
        return o;
    }

    /// <summary>The server connections whose application name is <paramref name="application"/>.</summary>
    public async Task<int> ConnectionsAsync(string application)
    {
        await using var dataSource = NpgsqlDataSource.Create(Partition + ";Pooling=false");
        await using NpgsqlCommand count = dataSource.CreateCommand("select count(*)::int from pg_stat_activity where application_name = $1");
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = application });
        return (int)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>The backends of <paramref name="application"/> waiting for a lock.</summary>
    public async Task<int> WaitingForALockAsync(string application)
    {
        await using var dataSource = NpgsqlDataSource.Create(Partition + ";Pooling=false");
        await using NpgsqlCommand count = dataSource.CreateCommand("select count(*)::int from pg_stat_activity where application_name = $1 and wait_event_type = 'Lock'");
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = application });
        return (int)(await count.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until a backend of <paramref name="application"/> runs a statement containing <paramref name="text"/> (up to 20 s).</summary>
    public async Task WaitUntilRunningAsync(string application, string text, CancellationToken cancellationToken)
    {
        // One connection for every look (closed with the data source), not one opened per look: under load a new
        // backend per look could take longer than a short statement runs, and the look would miss it.
        await using var dataSource = NpgsqlDataSource.Create(Partition);
        for (int i = 0; i < 400; i++)
        {
            await using NpgsqlCommand running = dataSource.CreateCommand(
                "select count(*)::int from pg_stat_activity where application_name = $1 and state = 'active' and strpos(query, $2) > 0");
            running.Parameters.Add(new NpgsqlParameter<string> { TypedValue = application });
            running.Parameters.Add(new NpgsqlParameter<string> { TypedValue = text });
            if ((int)(await running.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException($"{text} never ran for {application}.");
    }

    /// <summary>Terminates the backend of <paramref name="application"/> once it runs slow_echo, waiting up to 10 s for that.</summary>
    public async Task TerminateSlowEchoAsync(string application, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(Partition); // one connection for every look, as above
        for (int i = 0; i < 200; i++)
        {
            await using NpgsqlCommand kill = dataSource.CreateCommand(
                "select count(pg_terminate_backend(pid))::int from pg_stat_activity where application_name = $1 and state = 'active' and query like '%slow_echo%'");
            kill.Parameters.Add(new NpgsqlParameter<string> { TypedValue = application });
            if ((int)(await kill.ExecuteScalarAsync(cancellationToken))! > 0)
            {
                return;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new TimeoutException("slow_echo never ran.");
    }

    /// <summary>The ids in the partition's write log, each as often as it was written.</summary>
    public async Task<List<int>> WrittenAsync(int from, int to)
    {
        await using var dataSource = NpgsqlDataSource.Create(Partition + ";Pooling=false");
        await using NpgsqlCommand select = dataSource.CreateCommand("select id from writes where id between $1 and $2 order by id");
        select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = from });
        select.Parameters.Add(new NpgsqlParameter<int> { TypedValue = to });
        var ids = new List<int>();
        await using NpgsqlDataReader reader = await select.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt32(0));
        }

        return ids;
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition(CoalescingFixture.Collection)]
public sealed class CoalescingCollection : ICollectionFixture<CoalescingFixture>;
