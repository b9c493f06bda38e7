using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;
using PlProxy.Client.Partconf;
using PlProxy.Client.PgQ;

namespace PlProxy.Client.IntegrationTests.Partconf;

/// <summary>
/// A transaction of several statements on the partition a key routes to (<see cref="PlProxyDataSource.GetPartitionAsync"/>):
/// a row and its PgQ event committed together, and partconf's guard (<see cref="PlProxyPartition.CheckHashAsync"/>)
/// refusing it before any write while the key's partition is fenced.
/// </summary>
[Collection(PartconfFixture.Collection)]
public sealed class PartitionTransactionTests(PartconfFixture fixture)
{
    private const string Queue = "orders";

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RowAndItsPgQEvent_InOnePartitionTransaction_AreCommittedTogetherOnTheKeysDatabaseOnly()
    {
        (NpgsqlDataSource[] databases, PlProxyDataSource source) = await ClusterAsync();
        await using PlProxyDataSource _ = source;
        string key = "order-17";
        int owner = Partitions.IndexOf(PgHash.HashText(key), 2);

        await using (PlProxyPartition p = await source.GetPartitionAsync("orders", PgHash.HashText(key), Token))
        await using (NpgsqlConnection connection = await p.DataSource.OpenConnectionAsync(Token))
        await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Token))
        {
            await p.CheckHashAsync(connection, Token);
            await using (NpgsqlCommand insert = new("insert into orders values ($1)", connection, transaction) { Parameters = { new() { Value = key } } })
            {
                await insert.ExecuteNonQueryAsync(Token);
            }

            await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("order.created", key), Token);
            await transaction.CommitAsync(Token);
            Assert.Equal(owner, p.Index);
        }

        Assert.Equal((1, 1), await RowsAndEventsAsync(databases[owner], key));
        Assert.Equal((0, 0), await RowsAndEventsAsync(databases[1 - owner], key));
    }

    [Fact]
    public async Task PartitionTransaction_WhileItsKeyIsFenced_IsRefusedBeforeAnyWriteAndGoesThroughOnceTheFenceIsLifted()
    {
        (NpgsqlDataSource[] databases, PlProxyDataSource source) = await ClusterAsync();
        await using PlProxyDataSource _ = source;
        string key = "order-42";
        int owner = Partitions.IndexOf(PgHash.HashText(key), 2);
        await using (NpgsqlCommand fence = databases[owner].CreateCommand($"select partconf.fence(array[{owner}], 2, 30)"))
        {
            await fence.ExecuteNonQueryAsync(Token);
        }

        PlProxyException refused = await Assert.ThrowsAsync<PlProxyException>(() => WriteAsync(source, key));

        Assert.Equal(PlProxySqlStates.WrongPartition, refused.SqlState);
        Assert.Equal(owner, refused.PartitionIndex);
        Assert.Equal("orders", refused.Cluster);
        Assert.Contains("Nothing was written", refused.Message, StringComparison.Ordinal);
        Assert.Equal((0, 0), await RowsAndEventsAsync(databases[owner], key));

        await using (NpgsqlCommand unfence = databases[owner].CreateCommand("select partconf.unfence()"))
        {
            await unfence.ExecuteNonQueryAsync(Token);
        }

        await WriteAsync(source, key);
        Assert.Equal((1, 1), await RowsAndEventsAsync(databases[owner], key));
    }

    [Fact]
    public async Task CheckHash_OnADatabaseWithoutPartconf_FailsSayingSo()
    {
        string database = await fixture.Server.CreateDatabaseAsync($"nopartconf{Guid.NewGuid():N}"[..24], cancellationToken: Token);
        var options = new PlProxyOptions();
        options.AddCluster("bare", [database]);
        await using PlProxyDataSource source = PlProxyDataSource.Create(options);
        await using PlProxyPartition p = await source.GetPartitionAsync("bare", 7, Token);
        await using NpgsqlConnection connection = await p.DataSource.OpenConnectionAsync(Token);

        PlProxyException e = await Assert.ThrowsAsync<PlProxyException>(() => p.CheckHashAsync(connection, Token));

        Assert.Equal(PlProxySqlStates.PartconfNotConfigured, e.SqlState);
        Assert.Contains("partconf is not installed", e.Message, StringComparison.Ordinal);
    }

    // The README's recipe: the partition's guard first, then the row and its event, one commit.
    private static async Task WriteAsync(PlProxyDataSource source, string key)
    {
        await using PlProxyPartition p = await source.GetPartitionAsync("orders", PgHash.HashText(key), Token);
        await using NpgsqlConnection connection = await p.DataSource.OpenConnectionAsync(Token);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(Token);
        await p.CheckHashAsync(connection, Token);
        await using (NpgsqlCommand insert = new("insert into orders values ($1)", connection, transaction) { Parameters = { new() { Value = key } } })
        {
            await insert.ExecuteNonQueryAsync(Token);
        }

        await PgQProducer.InsertEventAsync(connection, Queue, new PgQEvent("order.created", key), Token);
        await transaction.CommitAsync(Token);
    }

    private static async Task<(long Rows, long Events)> RowsAndEventsAsync(NpgsqlDataSource database, string key)
    {
        await using NpgsqlCommand count = database.CreateCommand("""
            select (select count(*) from orders where id = $1),
                   (select count(*) from pgq.event_template where ev_type = 'order.created' and ev_data = $1)
            """);
        count.Parameters.Add(new NpgsqlParameter<string> { TypedValue = key });
        await using NpgsqlDataReader reader = await count.ExecuteReaderAsync(Token);
        await reader.ReadAsync(Token);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    // Two partition databases with partconf, PgQ and a queue, and a data source whose cluster 'orders' is them.
    private async Task<(NpgsqlDataSource[] Databases, PlProxyDataSource Source)> ClusterAsync()
    {
        NpgsqlDataSource[] databases = await fixture.ClusterAsync(2, d => new PartconfSettings("orders", [d], 2, d), Token);
        foreach (NpgsqlDataSource database in databases)
        {
            await using NpgsqlCommand command = database.CreateCommand($"create table orders (id text primary key); create extension pgq; select pgq.create_queue('{Queue}');");
            await command.ExecuteNonQueryAsync(Token);
        }

        var options = new PlProxyOptions();
        options.AddCluster("orders", [.. databases.Select(d => d.ConnectionString)]);
        return (databases, PlProxyDataSource.Create(options));
    }
}
