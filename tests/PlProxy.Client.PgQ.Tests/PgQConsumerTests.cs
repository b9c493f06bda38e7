using Npgsql;

namespace PlProxy.Client.PgQ.Tests;

/// <summary>Producer and consumer against a real PgQ: transactional events, the batch protocol, retries, redelivery, large batches.</summary>
[Collection(PgQFixture.Collection)]
public sealed class PgQConsumerTests(PgQFixture fixture)
{
    private const string Queue = "orders";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InsertEvent_InARolledBackTransaction_IsNeverDelivered()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var consumer = new PgQConsumer(database, Queue, "c1");
        await consumer.RegisterAsync(Token);
        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            await using (NpgsqlTransaction rolledBack = await connection.BeginTransactionAsync(Token))
            {
                await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("order", "rolled back"), Token);
                await rolledBack.RollbackAsync(Token);
            }

            await using NpgsqlTransaction committed = await connection.BeginTransactionAsync(Token);
            await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("order", "committed") { Extra1 = "public.orders" }, Token);
            await committed.CommitAsync(Token);
        }

        await PgQFixture.TickAsync(database, Queue, Token);
        List<PgQBatchEvent> delivered = await ConsumeAllAsync(consumer);

        PgQBatchEvent only = Assert.Single(delivered);
        Assert.Equal(("order", "committed", "public.orders", (int?)null), (only.Type, only.Data, only.Extra1, only.Retry));
    }

    [Fact]
    public async Task ProcessBatch_GivesEveryEventInOrderAndFinishesTheBatch()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var consumer = new PgQConsumer(database, Queue, "c1", new PgQConsumerOptions { FetchSize = 7 });
        Assert.True(await consumer.RegisterAsync(Token));
        Assert.False(await consumer.RegisterAsync(Token));
        await InsertAsync(database, 50);
        await PgQFixture.TickAsync(database, Queue, Token);

        var seen = new List<string?>();
        PgQBatchResult? result = await consumer.ProcessBatchAsync((_, e, _) => { seen.Add(e.Data); return Task.CompletedTask; }, Token);

        Assert.NotNull(result);
        Assert.Equal(50, result.Events);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => $"e{i}"), seen);
        Assert.Null(await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token)); // finished: no new tick, no batch
        Assert.Equal(0, (await consumer.InfoAsync(Token))!.PendingEvents);
    }

    [Fact]
    public async Task Register_ByManyInstancesAtOnce_RegistersTheConsumerOnce_AndFailsNone()
    {
        // Instances of a service sharing one consumer start together on its first deployment: PgQ's register_consumer
        // looks for the consumer, then inserts it, so two at once could both insert (a unique violation in one).
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        for (int round = 0; round < 10; round++)
        {
            string name = $"together{round}_{Guid.NewGuid():N}";

            bool[] registered = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => new PgQConsumer(database, Queue, name).RegisterAsync(Token), Token))).WaitAsync(TimeSpan.FromSeconds(60), Token);

            Assert.Equal(1, registered.Count(r => r));
        }
    }

    [Fact]
    public async Task ProcessBatch_ByInstancesOfOneConsumerAtOnce_HandsEachBatchToOneOfThem()
    {
        // Replicas of a worker service run one consumer: each asks for the next batch while another handles one. PgQ
        // gives an open batch to whoever asks, so without turns every replica would handle it.
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        await new PgQConsumer(database, Queue, "replicas").RegisterAsync(Token);
        const int Batches = 6, PerBatch = 10;
        for (int b = 0; b < Batches; b++)
        {
            await using NpgsqlConnection connection = await database.OpenConnectionAsync(Token);
            for (int i = 0; i < PerBatch; i++)
            {
                await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("test", $"b{b}e{i}"), Token);
            }

            await PgQFixture.TickAsync(database, Queue, Token);
        }

        var handled = new System.Collections.Concurrent.ConcurrentBag<string>();
        var batches = new System.Collections.Concurrent.ConcurrentBag<long>();
        using var done = CancellationTokenSource.CreateLinkedTokenSource(Token);
        async Task ReplicaAsync(PgQConsumer replica)
        {
            while (handled.Count < Batches * PerBatch && !done.IsCancellationRequested)
            {
                PgQBatchResult? batch = await replica.ProcessBatchAsync(async (_, e, ct) => { await Task.Delay(5, ct); handled.Add(e.Data!); }, done.Token);
                if (batch is null)
                {
                    await Task.Delay(5, done.Token);
                }
                else if (batch.Events > 0)
                {
                    batches.Add(batch.BatchId);
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => ReplicaAsync(new PgQConsumer(database, Queue, "replicas")), Token))).WaitAsync(TimeSpan.FromSeconds(60), Token);

        Assert.Equal(Batches * PerBatch, handled.Count);
        Assert.Equal(Batches * PerBatch, handled.Distinct().Count());
        Assert.Equal(batches.Count, batches.Distinct().Count());
        Assert.Equal(0, (await new PgQConsumer(database, Queue, "replicas").InfoAsync(Token))!.PendingEvents);
    }

    [Fact]
    public async Task ProcessBatch_WhoseHandlerFails_IsDeliveredAgainWhole()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        PgQConsumer consumer = await RegisteredWithABatchAsync(database, 5);

        await Assert.ThrowsAsync<InvalidOperationException>(() => consumer.ProcessBatchAsync((_, e, _) =>
            e.Data == "e3" ? throw new InvalidOperationException("handler failed") : Task.CompletedTask, Token));
        var again = new List<string?>();
        PgQBatchResult? result = await consumer.ProcessBatchAsync((_, e, _) => { again.Add(e.Data); return Task.CompletedTask; }, Token);

        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"e{i}"), again);
        Assert.Equal(5, result!.Events);
    }

    [Fact]
    public async Task Retry_OfAnEvent_DeliversItInALaterBatchWithItsRetryCount()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        PgQConsumer consumer = await RegisteredWithABatchAsync(database, 3);

        PgQBatchResult? first = await consumer.ProcessBatchAsync((batch, e, _) =>
        {
            if (e.Data == "e1")
            {
                batch.Retry(e, TimeSpan.Zero);
            }

            return Task.CompletedTask;
        }, Token);
        await using (NpgsqlCommand maintenance = database.CreateCommand("select pgq.maint_retry_events()"))
        {
            await maintenance.ExecuteNonQueryAsync(Token);
        }

        await PgQFixture.TickAsync(database, Queue, Token);
        List<PgQBatchEvent> retried = await ConsumeAllAsync(consumer);

        Assert.Equal(1, first!.Retried);
        PgQBatchEvent again = Assert.Single(retried);
        Assert.Equal(("e1", (int?)1), (again.Data, again.Retry));
    }

    [Fact]
    public async Task ProcessBatch_Of200000Events_HoldsOneFetchAtATime()
    {
        const int count = 200_000;
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var consumer = new PgQConsumer(database, Queue, "c1", new PgQConsumerOptions { FetchSize = 1000 });
        await consumer.RegisterAsync(Token);
        await using (NpgsqlCommand insert = database.CreateCommand($"select count(pgq.insert_event('{Queue}', 'big', repeat('x', 500) || g)) from generate_series(1, {count}) g"))
        {
            insert.CommandTimeout = 300;
            await insert.ExecuteNonQueryAsync(Token);
        }

        await PgQFixture.TickAsync(database, Queue, Token);
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = 0, seen = 0;

        PgQBatchResult? result = await consumer.ProcessBatchAsync((_, _, _) =>
        {
            if (++seen % 20_000 == 0)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
            }

            return Task.CompletedTask;
        }, Token);

        Assert.Equal(count, result!.Events);
        // All 200,000 events at once would hold over 200 MB (500+ characters each); one fetch holds about 1 MB.
        TestContext.Current.TestOutputHelper?.WriteLine($"200,000 events of ~500 characters: peak live memory {peak / 1024} KB above the start");
        Assert.InRange(peak, long.MinValue, 32L * 1024 * 1024);
    }

    [Fact]
    public async Task ProcessBatch_WithMinCount_WaitsUntilTheTicksHoldThatManyEventsThenTakesThemInOneBatch()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var consumer = new PgQConsumer(database, Queue, "c1", new PgQConsumerOptions { MinCount = 3 });
        await consumer.RegisterAsync(Token);
        await ScalarAsync(database, $"select pgq.set_queue_config('{Queue}', 'ticker_max_count', '1')"); // ticks by events, not force_tick (which bumps the count)
        await InsertAsync(database, 2);
        Assert.NotNull(await ScalarAsync(database, $"select pgq.ticker('{Queue}')"));

        Assert.Null(await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token)); // 2 < 3

        await InsertAsync(database, 2);
        Assert.NotNull(await ScalarAsync(database, $"select pgq.ticker('{Queue}')"));
        Assert.Equal(4, (await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token))!.Events); // both ticks at once
    }

    [Fact]
    public async Task ProcessBatch_WithMinLag_TakesNoBatchWhoseTickIsYounger()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        PgQConsumer consumer = await RegisteredWithABatchAsync(database, 1, new PgQConsumerOptions { MinLag = TimeSpan.FromMinutes(10) });

        Assert.Null(await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token)); // the tick is seconds old

        await AgeTicksAsync(database, TimeSpan.FromMinutes(11));
        Assert.Equal(1, (await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token))!.Events);
    }

    [Fact]
    public async Task ProcessBatch_WithMinInterval_WaitsForATickThatFarFromTheLastBatch()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        PgQConsumer consumer = await RegisteredWithABatchAsync(database, 1, new PgQConsumerOptions { MinInterval = TimeSpan.FromMinutes(10) });

        Assert.Null(await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token)); // seconds after the registration's tick

        await AgeTicksAsync(database, TimeSpan.FromMinutes(11), allButTheLast: true);
        Assert.Equal(1, (await consumer.ProcessBatchAsync((_, _, _) => Task.CompletedTask, Token))!.Events);
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource database, string sql)
    {
        await using NpgsqlCommand command = database.CreateCommand(sql);
        object? value = await command.ExecuteScalarAsync(Token);
        return value is DBNull ? null : value;
    }

    // Moves the queue's ticks (or all but the newest) into the past, as if time had passed.
    private static async Task AgeTicksAsync(NpgsqlDataSource database, TimeSpan age, bool allButTheLast = false)
    {
        await using NpgsqlCommand update = database.CreateCommand(
            "update pgq.tick set tick_time = tick_time - $1 where tick_queue = (select queue_id from pgq.queue where queue_name = $2)"
            + (allButTheLast ? " and tick_id < (select max(tick_id) from pgq.tick where tick_queue = (select queue_id from pgq.queue where queue_name = $2))" : ""));
        update.Parameters.Add(new NpgsqlParameter<TimeSpan> { TypedValue = age });
        update.Parameters.Add(new NpgsqlParameter<string> { TypedValue = Queue });
        await update.ExecuteNonQueryAsync(Token);
    }

    // Consumer "c1" registered, then events e0.. inserted and ticked into one batch.
    private static async Task<PgQConsumer> RegisteredWithABatchAsync(NpgsqlDataSource database, int events, PgQConsumerOptions? options = null)
    {
        var consumer = new PgQConsumer(database, Queue, "c1", options);
        await consumer.RegisterAsync(Token);
        await InsertAsync(database, events);
        await PgQFixture.TickAsync(database, Queue, Token);
        return consumer;
    }

    private static async Task InsertAsync(NpgsqlDataSource database, int count)
    {
        await using NpgsqlConnection connection = await database.OpenConnectionAsync(Token);
        for (int i = 0; i < count; i++)
        {
            await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("test", $"e{i}"), Token);
        }
    }

    private static async Task<List<PgQBatchEvent>> ConsumeAllAsync(PgQConsumer consumer)
    {
        var events = new List<PgQBatchEvent>();
        while (await consumer.ProcessBatchAsync((_, e, _) => { events.Add(e); return Task.CompletedTask; }, Token) is not null)
        {
        }

        return events;
    }
}
