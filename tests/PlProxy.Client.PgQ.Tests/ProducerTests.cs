using System.Text.Json.Serialization;
using Npgsql;

namespace PlProxy.Client.PgQ.Tests;

public sealed record Transfer(string Payer, string Payee, decimal Amount);

[JsonSerializable(typeof(Transfer))]
public sealed partial class TransferJson : JsonSerializerContext;

/// <summary>Producing many events at once (binary COPY into the current event table) and typed JSON events.</summary>
[Collection(PgQFixture.Collection)]
public sealed class ProducerTests(PgQFixture fixture)
{
    private const string Queue = "bulk";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task InsertEvents_CommittedAndRolledBack_DeliversExactlyTheCommittedOnesInOrder()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var consumer = new PgQConsumer(database, Queue, "c1", new PgQConsumerOptions { FetchSize = 500 });
        await consumer.RegisterAsync(Token);
        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            await using (NpgsqlTransaction rolledBack = await connection.BeginTransactionAsync(Token))
            {
                await PgQProducer.InsertEventsAsync(rolledBack, Queue, [.. Enumerable.Range(0, 5).Select(i => new PgQEvent("no", $"n{i}"))], Token);
                await rolledBack.RollbackAsync(Token);
            }

            await using NpgsqlTransaction committed = await connection.BeginTransactionAsync(Token);
            long inserted = await PgQProducer.InsertEventsAsync(committed, Queue, Enumerable.Range(0, 10_000).Select(i => new PgQEvent("bulk", $"b{i}") { Extra1 = i % 2 == 0 ? null : "odd", Extra4 = "é" }), Token);
            await committed.CommitAsync(Token);
            Assert.Equal(10_000, inserted);
        }

        await PgQFixture.TickAsync(database, Queue, Token);
        var received = new List<PgQBatchEvent>();
        while (await consumer.ProcessBatchAsync((_, e, _) => { received.Add(e); return Task.CompletedTask; }, Token) is not null)
        {
        }

        Assert.Equal(Enumerable.Range(0, 10_000).Select(i => $"b{i}"), received.Select(e => e.Data));
        Assert.All(received, e => Assert.Equal(("bulk", "é"), (e.Type, e.Extra4)));
        Assert.Equal(5_000, received.Count(e => e.Extra1 == "odd"));
    }

    [Fact]
    public async Task JsonEvent_WithASourceGeneratedContext_RoundTrips()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync(Queue, Token);
        var consumer = new PgQConsumer(database, Queue, "c1");
        await consumer.RegisterAsync(Token);
        var sent = new Transfer("anna", "bert", 12.50m);
        await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
        {
            await PgQProducer.InsertEventAsync(connection, Queue, PgQEvent.Json("transfer", sent, TransferJson.Default.Transfer), Token);
        }

        await PgQFixture.TickAsync(database, Queue, Token);
        Transfer? received = null;
        await consumer.ProcessBatchAsync((_, e, _) => { received = e.DataAs(TransferJson.Default.Transfer); return Task.CompletedTask; }, Token);

        Assert.Equal(sent, received);
    }
}
