using System.Diagnostics.Metrics;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Resilience;

[PlProxy("CLUSTER 'once'; RUN ON 0;")]
public interface IAttempts
{
    [PlProxy("TARGET attempt_then_sleep;")]
    Task<long> WriteAsync(double seconds, long sleepThrough, CancellationToken cancellationToken = default);

    [Idempotent]
    [PlProxy("TARGET attempt_then_sleep;")]
    Task<long> IdempotentWriteAsync(double seconds, long sleepThrough, CancellationToken cancellationToken = default);

    [PlProxy("TARGET attempt_then_fail;")]
    Task<long> FailingWriteAsync(string sqlState, CancellationToken cancellationToken = default);

    [Idempotent]
    [PlProxy("TARGET attempt_then_fail;")]
    Task<long> IdempotentFailingWriteAsync(string sqlState, CancellationToken cancellationToken = default);
}

/// <summary>
/// A partition whose functions count their attempts in a sequence, which no rollback undoes; attempt_then_sleep sleeps
/// only while the sequence has not passed the given value, so a test can make the first attempt long and its retry short.
/// </summary>
public sealed class WriteOnceFixture : IAsyncLifetime
{
    public LocalPostgresServer Server { get; private set; } = null!;

    public string Partition { get; private set; } = "";

    private NpgsqlDataSource _partition = null!;

    public async ValueTask InitializeAsync()
    {
        Server = await LocalPostgresServer.StartAsync();
        Partition = await Server.CreateDatabaseAsync("once0");
        await Server.ExecuteAsync("once0", """
            create sequence attempts;
            create function attempt_then_sleep(i_seconds float8, i_sleep_through int8) returns int8 language plpgsql as $$
                begin if nextval('attempts') <= i_sleep_through then perform pg_sleep(i_seconds); end if; return currval('attempts'); end $$;
            create function attempt_then_fail(i_state text) returns int8 language plpgsql as $$
                begin perform nextval('attempts'); raise exception 'attempt failed' using errcode = i_state; end $$;
            """);
        _partition = NpgsqlDataSource.Create(Partition);
    }

    public async Task<long> AttemptsAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = _partition.CreateCommand("select case when is_called then last_value else 0 end from attempts");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>
    /// Terminates the backend running attempt_then_sleep once its attempt has begun (the sequence has passed
    /// <paramref name="before"/>), so the statement is surely running; waits up to 10 s for it.
    /// </summary>
    public async Task TerminateRunningAttemptAsync(long before, CancellationToken cancellationToken)
    {
        await using var dataSource = NpgsqlDataSource.Create(Server.ConnectionString());
        for (int i = 0; i < 500; i++)
        {
            if (await AttemptsAsync(cancellationToken) > before)
            {
                await using NpgsqlCommand command = dataSource.CreateCommand(
                    "select pg_terminate_backend(pid) from pg_stat_activity where datname = 'once0' and state = 'active' and query like '%attempt_then_sleep%' and pid <> pg_backend_pid()");
                if (await command.ExecuteScalarAsync(cancellationToken) is true)
                {
                    return;
                }
            }

            await Task.Delay(20, cancellationToken);
        }

        throw new InvalidOperationException("No running attempt to terminate.");
    }

    public async ValueTask DisposeAsync()
    {
        await _partition.DisposeAsync();
        await Server.DisposeAsync();
    }
}

/// <summary>
/// The README's promise that a write never runs twice by accident, counted: each attempt advances a sequence before it
/// sleeps or fails, so a retry shows as a second step of the sequence whatever the transaction did. A call that was
/// sent is resent only when its method is [Idempotent]; the sequence, the retries metric and the retry log agree.
/// </summary>
public sealed class WriteOnceTests(WriteOnceFixture fixture) : IClassFixture<WriteOnceFixture>
{
    private const int MaxRetryAttempts = 2;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task NonIdempotentWrite_WhoseBackendIsTerminatedMidStatement_FailsAndRanOnce()
    {
        await using Counted counted = Source();
        long before = await fixture.AttemptsAsync(Token);

        Task<long> write = counted.Attempts.WriteAsync(5, sleepThrough: before + 1, Token);
        await fixture.TerminateRunningAttemptAsync(before, Token);
        var error = await Assert.ThrowsAsync<PlProxyException>(() => write);

        Assert.True(error.SqlState is "57P01" or "08006", $"SQLSTATE {error.SqlState}: {error.Message}");
        Assert.Equal(1, await fixture.AttemptsAsync(Token) - before);
        Assert.Equal((0, 0), (counted.Retries, counted.RetryEvents));
    }

    [Fact]
    public async Task IdempotentWrite_WhoseBackendIsTerminatedMidStatement_IsRetriedAndSucceeds()
    {
        await using Counted counted = Source();
        long before = await fixture.AttemptsAsync(Token);

        Task<long> write = counted.Attempts.IdempotentWriteAsync(5, sleepThrough: before + 1, Token); // the retry does not sleep
        await fixture.TerminateRunningAttemptAsync(before, Token);
        long last = await write;

        Assert.Equal(2, await fixture.AttemptsAsync(Token) - before);
        Assert.Equal(before + 2, last);
        Assert.Equal((1, 1), (counted.Retries, counted.RetryEvents));
    }

    [Fact]
    public async Task NonIdempotentWrite_FailingWithASerializationFailure_IsAttemptedOnce()
    {
        await using Counted counted = Source();
        long before = await fixture.AttemptsAsync(Token);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => counted.Attempts.FailingWriteAsync("40001", Token));

        Assert.Equal("40001", error.SqlState);
        Assert.Equal(1, await fixture.AttemptsAsync(Token) - before);
        Assert.Equal((0, 0), (counted.Retries, counted.RetryEvents));
    }

    [Fact]
    public async Task IdempotentWrite_FailingWithASerializationFailure_IsRetriedUpToTheLimit()
    {
        await using Counted counted = Source();
        long before = await fixture.AttemptsAsync(Token);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => counted.Attempts.IdempotentFailingWriteAsync("40001", Token));

        Assert.Equal("40001", error.SqlState);
        Assert.Equal(1 + MaxRetryAttempts, await fixture.AttemptsAsync(Token) - before);
        Assert.Equal((MaxRetryAttempts, MaxRetryAttempts), (counted.Retries, counted.RetryEvents));
    }

    [Fact]
    public async Task IdempotentWrite_FailingWithAConstraintViolation_IsAttemptedOnce()
    {
        await using Counted counted = Source();
        long before = await fixture.AttemptsAsync(Token);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => counted.Attempts.IdempotentFailingWriteAsync("23505", Token));

        Assert.Equal("23505", error.SqlState);
        Assert.Equal(1, await fixture.AttemptsAsync(Token) - before);
        Assert.Equal((0, 0), (counted.Retries, counted.RetryEvents));
    }

    private Counted Source()
    {
        var logs = new CapturingLoggerProvider();
        PlProxyDataSource source = PlProxyDataSource.Create(
            new PlProxyOptions().AddCluster("once", c =>
            {
                c.Partitions.Add(fixture.Partition);
                c.Retry.MaxRetryAttempts = MaxRetryAttempts;
                c.Retry.Delay = TimeSpan.FromMilliseconds(10);
                c.CircuitBreaker.Enabled = false;
            }),
            logs);
        return new Counted(source, logs);
    }

    /// <summary>A data source with its retry log events and the retries metric of cluster 'once' (only this class's tests use it) counted.</summary>
    private sealed class Counted : IAsyncDisposable
    {
        private readonly PlProxyDataSource _source;
        private readonly CapturingLoggerProvider _logs;
        private readonly MeterListener _listener = new();
        private long _retries;

        public Counted(PlProxyDataSource source, CapturingLoggerProvider logs)
        {
            _source = source;
            _logs = logs;
            Attempts = source.CreateProxy<IAttempts>();
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == "PlProxy.Client" && instrument.Name == "plproxy.client.retries")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                foreach (KeyValuePair<string, object?> tag in tags)
                {
                    if (tag.Key == "plproxy.cluster" && tag.Value is "once")
                    {
                        Interlocked.Add(ref _retries, value);
                    }
                }
            });
            _listener.Start();
        }

        public IAttempts Attempts { get; }

        public long Retries => Interlocked.Read(ref _retries);

        public int RetryEvents
        {
            get
            {
                lock (_logs.Entries)
                {
                    return _logs.Entries.Count(e => e.EventId == 1002);
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _source.DisposeAsync();
            _logs.Dispose();
        }
    }
}
