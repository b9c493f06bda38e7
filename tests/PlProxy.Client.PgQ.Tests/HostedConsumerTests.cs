using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using PlProxy.Client.Testing;

namespace PlProxy.Client.PgQ.Tests;

/// <summary><c>AddPgQConsumer</c>: a hosted consumer retries a failing event, then gives it to the dead letters, and handles the rest once.</summary>
[Collection(PgQFixture.Collection)]
public sealed class HostedConsumerTests(PgQFixture fixture)
{
    private const string Queue = "jobs";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HostedConsumer_OfAnEventThatKeepsFailing_RetriesItThenDeadLettersItAndHandlesTheRestOnce()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var handler = new RecordingHandler();
        using IHost host = await StartAsync(database, handler, o =>
        {
            o.MaxRetries = 2;
            o.RetryDelay = TimeSpan.Zero;
            o.IdleDelay = TimeSpan.FromMilliseconds(50);
        });
        var consumer = new PgQConsumer(database, Queue, "worker");
        await RegisteredAsync(consumer);

        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            foreach (string job in (string[])["a", "b", "poison", "c", "d"])
            {
                await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("job", job), Token);
            }
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await DeadLetterAsync(database) is null)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"the poison event never reached the dead letters; attempts: {string.Join(", ", handler.Attempts.Select(a => $"{a.Key} {a.Value}"))}");
            await using NpgsqlCommand tick = database.CreateCommand($"select pgq.maint_retry_events(); select pgq.force_tick('{Queue}'); select pgq.ticker('{Queue}');");
            await tick.ExecuteNonQueryAsync(Token);
            await Task.Delay(100, Token);
        }

        await host.StopAsync(Token);

        Assert.Equal(["a", "b", "c", "d"], handler.Handled.Order(StringComparer.Ordinal));
        Assert.Equal(3, handler.Attempts["poison"]); // the first delivery and two retries
        (string data, int retries, string error) = (await DeadLetterAsync(database))!.Value;
        Assert.Equal(("poison", 2), (data, retries));
        Assert.Equal("InvalidOperationException: poison cannot be handled", error);
    }

    [Fact]
    public async Task HostedConsumer_RunningAsARoleThatMayNotCreate_DeadLettersIntoTheTableTheOwnerMade()
    {
        // Least privilege: the service's role consumes and writes the dead letters, and creates nothing. PostgreSQL checks
        // the right to create before it looks whether a table exists, so "create ... if not exists" fails even when it is
        // there, and every batch holding a dead letter would fail, and come again, for ever.
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        string role = $"worker_{Guid.NewGuid():N}";
        await using (NpgsqlCommand setup = database.CreateCommand($"""
            create role {role} login;
            grant pgq_reader to {role};
            create schema plproxy_pgq;
            create table plproxy_pgq.dead_letter (
                queue_name text not null, consumer_name text not null, ev_id int8 not null, ev_time timestamptz not null,
                ev_retry int4, ev_type text, ev_data text, ev_extra1 text, ev_extra2 text, ev_extra3 text, ev_extra4 text,
                error text not null, failed_at timestamptz not null default now(),
                primary key (queue_name, consumer_name, ev_id));
            grant usage on schema plproxy_pgq to {role};
            grant insert on plproxy_pgq.dead_letter to {role};
            """))
        {
            await setup.ExecuteNonQueryAsync(Token);
        }

        var handler = new RecordingHandler();
        using IHost host = await StartAsync(new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString, handler, o =>
        {
            o.MaxRetries = 0;
            o.IdleDelay = TimeSpan.FromMilliseconds(50);
        });
        var consumer = new PgQConsumer(database, Queue, "worker");
        await RegisteredAsync(consumer);

        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            foreach (string job in (string[])["a", "poison", "b"])
            {
                await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("job", job), Token);
            }
        }

        await PgQFixture.TickAsync(database, Queue, Token);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await DeadLetterAsync(database) is null || handler.Handled.Count < 2)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"no dead letter after 30 s; attempts: {string.Join(", ", handler.Attempts.Select(a => $"{a.Key} {a.Value}"))}");
            await Task.Delay(100, Token);
        }

        await host.StopAsync(Token);
        Assert.Equal("poison", (await DeadLetterAsync(database))!.Value.Data);
        Assert.Equal(["a", "b"], handler.Handled.Order(StringComparer.Ordinal));
        Assert.Equal(1, handler.Attempts["poison"]);
    }

    [Fact]
    public async Task HostedConsumer_StoppedMidBatch_AbandonsTheBatchWholeForTheNextRun()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var consumer = new PgQConsumer(database, Queue, "worker");
        await consumer.RegisterAsync(Token);
        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            foreach (string job in (string[])["a", "slow", "b"])
            {
                await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("job", job), Token);
            }
        }

        await PgQFixture.TickAsync(database, Queue, Token);
        long position = (await consumer.InfoAsync(Token))!.LastTick;
        var blocking = new BlockingHandler();
        using IHost host = await StartAsync(database, blocking, _ => { });
        await blocking.Reached.Task.WaitAsync(TimeSpan.FromSeconds(30), Token); // inside the batch, at "slow"

        await host.StopAsync(Token);

        Assert.Equal(position, (await consumer.InfoAsync(Token))!.LastTick); // not finished: taken and handled in a transaction that rolled back
        var again = new List<string?>();
        await consumer.ProcessBatchAsync((_, e, _) => { again.Add(e.Data); return Task.CompletedTask; }, Token);
        Assert.Equal(["a", "slow", "b"], again); // delivered again, whole
    }

    [Fact]
    public async Task HostedConsumer_WhileTheDatabaseIsAway_BacksOffAndResumesEachTimeItIsBack()
    {
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: Token);
        string connectionString = await server.CreateDatabaseAsync("away", cancellationToken: Token);
        await server.ExecuteAsync("away", $"create extension pgq; select pgq.create_queue('{Queue}');", Token);
        var handler = new RecordingHandler();

        await server.StopAsync(Token); // away before the service starts
        using IHost host = await StartAsync(connectionString, handler, o =>
        {
            o.MaxBackoff = TimeSpan.FromMilliseconds(300);
            o.IdleDelay = TimeSpan.FromMilliseconds(50);
        });
        await Task.Delay(TimeSpan.FromSeconds(1), Token); // failed attempts, backing off
        await server.RestartAsync(Token);
        await ProduceUntilHandledAsync(server, handler, "after the first outage");

        await server.StopAsync(Token); // away while the service runs (its connections broken)
        await Task.Delay(TimeSpan.FromSeconds(1), Token);
        await server.RestartAsync(Token);
        await ProduceUntilHandledAsync(server, handler, "after the second outage");

        await host.StopAsync(Token);
        Assert.Equal(["after the first outage", "after the second outage"], handler.Handled.Order(StringComparer.Ordinal));
    }

    // Inserts an event once the service is registered and ticks until the handler has it (connections of their own: the server restarted).
    private static async Task ProduceUntilHandledAsync(LocalPostgresServer server, RecordingHandler handler, string job)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString("away")) { Pooling = false }.ConnectionString);
            await connection.OpenAsync(Token);
            await using var registered = new NpgsqlCommand($"select count(*) from pgq.get_consumer_info('{Queue}', 'worker')", connection);
            if ((long)(await registered.ExecuteScalarAsync(Token))! > 0)
            {
                break;
            }

            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the service never registered once the database was back");
            await Task.Delay(50, Token);
        }

        await server.ExecuteAsync("away", $"select pgq.insert_event('{Queue}', 'job', '{job}')", Token);
        while (!handler.Handled.Contains(job))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"the service never handled '{job}' once the database was back");
            await server.ExecuteAsync("away", $"select pgq.force_tick('{Queue}')", Token);
            await server.ExecuteAsync("away", $"select pgq.ticker('{Queue}')", Token);
            await Task.Delay(100, Token);
        }
    }

    [Fact]
    public async Task HostedConsumer_WithOptionsThatCannotWork_FailsTheStartNamingEachInASentence()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(new RecordingHandler());
        builder.Services.AddPgQConsumer<RecordingHandler>("jobs", o =>
        {
            o.Queue = Queue; // no connection string, no consumer
            o.MaxRetries = -1;
            o.IdleDelay = TimeSpan.Zero;
            o.Batches.FetchSize = 0;
        });
        using IHost host = builder.Build();

        var error = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => host.StartAsync(Token));

        Assert.Equal(
            [
                "PgQ consumer 'jobs': ConnectionString is required (the queue's database).",
                "PgQ consumer 'jobs': Consumer is required (the name PgQ registers it under).",
                "PgQ consumer 'jobs': MaxRetries is -1; it cannot be negative.",
                "PgQ consumer 'jobs': IdleDelay is 00:00:00; it must be positive (the pause when no batch is ready).",
                "PgQ consumer 'jobs': Batches.FetchSize is 0; it must be at least 1.",
            ],
            error.Failures);
    }

    // Waits (30 s at most) until the service has registered its consumer.
    private static async Task RegisteredAsync(PgQConsumer consumer)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (await consumer.InfoAsync(Token) is null)
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), "the service did not register its consumer within 30 s");
            await Task.Delay(50, Token);
        }
    }

    // A started host running consumer "worker" of the queue with the given handler.
    private static Task<IHost> StartAsync<THandler>(NpgsqlDataSource database, THandler handler, Action<PgQConsumerServiceOptions> configure)
        where THandler : class, IPgQEventHandler =>
        StartAsync(database.ConnectionString, handler, configure);

    private static async Task<IHost> StartAsync<THandler>(string connectionString, THandler handler, Action<PgQConsumerServiceOptions> configure)
        where THandler : class, IPgQEventHandler
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSingleton(handler);
        builder.Services.AddPgQConsumer<THandler>("jobs", o =>
        {
            o.ConnectionString = connectionString;
            o.Queue = Queue;
            o.Consumer = "worker";
            configure(o);
        });
        IHost host = builder.Build();
        await host.StartAsync(Token);
        return host;
    }

    private static async Task<(string Data, int Retries, string Error)?> DeadLetterAsync(NpgsqlDataSource database)
    {
        await using NpgsqlCommand select = database.CreateCommand(
            "select ev_data, ev_retry, error from plproxy_pgq.dead_letter where to_regclass('plproxy_pgq.dead_letter') is not null");
        try
        {
            await using NpgsqlDataReader reader = await select.ExecuteReaderAsync(Token);
            return await reader.ReadAsync(Token) ? (reader.GetString(0), reader.IsDBNull(1) ? 0 : reader.GetInt32(1), reader.GetString(2)) : null; // ev_retry is NULL for an event never retried
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName)
        {
            return null;
        }
    }

    private sealed class BlockingHandler : IPgQEventHandler
    {
        public TaskCompletionSource Reached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task HandleAsync(PgQBatch batch, PgQBatchEvent @event, CancellationToken cancellationToken)
        {
            if (@event.Data == "slow")
            {
                Reached.TrySetResult();
                await Task.Delay(Timeout.Infinite, cancellationToken); // until the host stops
            }
        }
    }

    private sealed class RecordingHandler : IPgQEventHandler
    {
        public ConcurrentBag<string> Handled { get; } = [];

        public ConcurrentDictionary<string, int> Attempts { get; } = new(StringComparer.Ordinal);

        public Task HandleAsync(PgQBatch batch, PgQBatchEvent @event, CancellationToken cancellationToken)
        {
            Attempts.AddOrUpdate(@event.Data!, 1, (_, n) => n + 1);
            if (@event.Data == "poison")
            {
                throw new InvalidOperationException("poison cannot be handled");
            }

            Handled.Add(@event.Data!);
            return Task.CompletedTask;
        }
    }
}
