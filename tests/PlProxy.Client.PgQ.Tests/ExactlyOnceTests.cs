using Npgsql;

namespace PlProxy.Client.PgQ.Tests;

/// <summary>
/// A consumer applying batches into another database exactly once: the batch's tick is committed with the handler's
/// writes, a batch the target already has is finished without applying it again, and a target that lost its position
/// stops the consumer.
/// </summary>
[Collection(PgQFixture.Collection)]
public sealed class ExactlyOnceTests(PgQFixture fixture)
{
    private const string Queue = "credits";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ProcessBatchInto_AppliesEachEventOnceAndRecordsTheTickWithIt()
    {
        (NpgsqlDataSource source, NpgsqlDataSource target, PgQConsumer consumer) = await SetUpAsync(5);
        await using (source)
        await using (target)
        {
            PgQBatchResult? result = await consumer.ProcessBatchIntoAsync(target, ApplyAsync, Token);

            Assert.Equal(5, result!.Events);
            Assert.Equal(5L, await ScalarAsync<long>(target, "select count(*) from applied"));
            Assert.Equal(result.TickId, await ScalarAsync<long>(target, $"select last_tick_id from plproxy_pgq.completed_tick where queue_name = '{Queue}' and consumer_name = 'mover'"));
            Assert.Null(await consumer.ProcessBatchIntoAsync(target, ApplyAsync, Token)); // finished on the source
        }
    }

    [Fact]
    public async Task ProcessBatchInto_OfABatchTheTargetAlreadyHas_FinishesItWithoutApplyingItAgain()
    {
        (NpgsqlDataSource source, NpgsqlDataSource target, PgQConsumer consumer) = await SetUpAsync(5);
        await using (source)
        await using (target)
        {
            // The consumer died after the target's commit and before finishing the batch on the source.
            long tick = await ScalarAsync<long>(source, $"select cur_tick_id from pgq.next_batch_custom('{Queue}', 'mover', null, null, null)");
            await ExecuteAsync(target, $"""
                create schema plproxy_pgq;
                create table plproxy_pgq.completed_tick (queue_name text, consumer_name text, last_tick_id int8, primary key (queue_name, consumer_name));
                insert into plproxy_pgq.completed_tick values ('{Queue}', 'mover', {tick});
                """);

            PgQBatchResult? result = await consumer.ProcessBatchIntoAsync(target, ApplyAsync, Token);

            Assert.Equal((tick, 0L), (result!.TickId, result.Events));
            Assert.Equal(0L, await ScalarAsync<long>(target, "select count(*) from applied"));
            Assert.Null(await consumer.ProcessBatchIntoAsync(target, ApplyAsync, Token));
        }
    }

    [Fact]
    public async Task ProcessBatchInto_OfATargetThatLostItsPosition_StopsApplyingNothing()
    {
        (NpgsqlDataSource source, NpgsqlDataSource target, PgQConsumer consumer) = await SetUpAsync(5);
        await using (source)
        await using (target)
        {
            await ExecuteAsync(target, $"""
                create schema plproxy_pgq;
                create table plproxy_pgq.completed_tick (queue_name text, consumer_name text, last_tick_id int8, primary key (queue_name, consumer_name));
                insert into plproxy_pgq.completed_tick values ('{Queue}', 'mover', 999999);
                """);

            var lost = await Assert.ThrowsAsync<PgQLostPositionException>(() => consumer.ProcessBatchIntoAsync(target, ApplyAsync, Token));

            Assert.Equal(999999, lost.TargetTick);
            Assert.StartsWith("lost position: consumer mover of queue credits has applied up to tick 999999", lost.Message, StringComparison.Ordinal);
            Assert.Equal(0L, await ScalarAsync<long>(target, "select count(*) from applied"));
            Assert.NotNull((await consumer.InfoAsync(Token))!.CurrentBatch); // the batch stays open
        }
    }

    [Fact]
    public async Task ProcessBatchInto_WhoseHandlerFails_CommitsNothingOnEitherSide()
    {
        (NpgsqlDataSource source, NpgsqlDataSource target, PgQConsumer consumer) = await SetUpAsync(5);
        await using (source)
        await using (target)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => consumer.ProcessBatchIntoAsync(target, async (batch, e, connection, ct) =>
            {
                await ApplyAsync(batch, e, connection, ct);
                if (e.Data == "e3")
                {
                    throw new InvalidOperationException("handler failed");
                }
            }, Token));

            Assert.Equal(0L, await ScalarAsync<long>(target, "select count(*) from applied"));
            Assert.Equal(5, (await consumer.ProcessBatchIntoAsync(target, ApplyAsync, Token))!.Events);
            Assert.Equal(5L, await ScalarAsync<long>(target, "select count(distinct event_id) from applied"));
        }
    }

    [Fact]
    public async Task ProcessBatchInto_WhileAnotherProcessHoldsTheConsumersTurnPastTheCommandTimeout_WaitsItsTurnAndApplies()
    {
        (NpgsqlDataSource source, NpgsqlDataSource target, PgQConsumer consumer) = await SetUpAsync(5);
        await using (source)
        await using (target)
        await using (var timed = NpgsqlDataSource.Create(target.ConnectionString + ";Command Timeout=1"))
        {
            // Another process of the consumer applying a batch for 3 s: the consumer's row locked in its transaction.
            await ExecuteAsync(target, $"""
                create schema plproxy_pgq;
                create table plproxy_pgq.completed_tick (queue_name text not null, consumer_name text not null, last_tick_id int8 not null, primary key (queue_name, consumer_name));
                insert into plproxy_pgq.completed_tick values ('{Queue}', 'mover', 0);
                """);
            await using NpgsqlConnection other = await target.OpenConnectionAsync(Token);
            await using NpgsqlTransaction turn = await other.BeginTransactionAsync(Token);
            await using (var hold = new NpgsqlCommand($"select 1 from plproxy_pgq.completed_tick where queue_name = '{Queue}' for update", other, turn))
            {
                await hold.ExecuteNonQueryAsync(Token);
            }

            Task<PgQBatchResult?> waiting = consumer.ProcessBatchIntoAsync(timed, ApplyAsync, Token);
            await Task.Delay(TimeSpan.FromSeconds(3), Token);
            Assert.False(waiting.IsCompleted, $"the consumer did not wait its turn: {waiting.Exception?.InnerException?.Message}");
            await turn.CommitAsync(Token);

            PgQBatchResult? result = await waiting.WaitAsync(TimeSpan.FromSeconds(60), Token);
            Assert.Equal(5, result!.Events);
            Assert.Equal(5L, await ScalarAsync<long>(target, "select count(*) from applied"));
        }
    }

    [Fact]
    public async Task ProcessBatchChunksInto_GivesTheEventsInOrderAFetchAtATimeAndRecordsTheTickWithThem()
    {
        (NpgsqlDataSource source, NpgsqlDataSource target, _) = await SetUpAsync(5);
        await using (source)
        await using (target)
        {
            var consumer = new PgQConsumer(source, Queue, "mover", new PgQConsumerOptions { FetchSize = 2 });
            var chunks = new List<string[]>();

            PgQBatchResult? result = await consumer.ProcessBatchChunksIntoAsync(target, async (_, events, connection, ct) =>
            {
                chunks.Add([.. events.Select(e => e.Data!)]);
                await using var insert = new NpgsqlCommand("insert into applied select * from unnest($1, $2)", connection); // one statement per chunk
                insert.Parameters.Add(new NpgsqlParameter<long[]> { TypedValue = [.. events.Select(e => e.Id)] });
                insert.Parameters.Add(new NpgsqlParameter<string[]> { TypedValue = [.. events.Select(e => e.Data!)] });
                await insert.ExecuteNonQueryAsync(ct);
            }, Token);

            Assert.Equal([["e0", "e1"], ["e2", "e3"], ["e4"]], chunks);
            Assert.Equal(5L, await ScalarAsync<long>(target, "select count(*) from applied"));
            Assert.Equal(result!.TickId, await ScalarAsync<long>(target, $"select last_tick_id from plproxy_pgq.completed_tick where queue_name = '{Queue}' and consumer_name = 'mover'"));
        }
    }

    private static async Task ApplyAsync(PgQBatch batch, PgQBatchEvent e, NpgsqlConnection target, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("insert into applied values ($1, $2)", target);
        insert.Parameters.Add(new NpgsqlParameter<long> { TypedValue = e.Id });
        insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = e.Data! });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<(NpgsqlDataSource Source, NpgsqlDataSource Target, PgQConsumer Consumer)> SetUpAsync(int events)
    {
        NpgsqlDataSource source = await fixture.QueueDatabaseAsync(Queue, Token);
        NpgsqlDataSource target = await fixture.QueueDatabaseAsync("unused", Token);
        await ExecuteAsync(target, "create table applied (event_id int8, data text)");
        var consumer = new PgQConsumer(source, Queue, "mover");
        await consumer.RegisterAsync(Token);
        await using (NpgsqlConnection connection = await source.OpenConnectionAsync(Token))
        {
            for (int i = 0; i < events; i++)
            {
                await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("credit", $"e{i}"), Token);
            }
        }

        await PgQFixture.TickAsync(source, Queue, Token);
        return (source, target, consumer);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource database, string sql)
    {
        await using NpgsqlCommand command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource database, string sql)
    {
        await using NpgsqlCommand command = database.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Token))!;
    }
}
