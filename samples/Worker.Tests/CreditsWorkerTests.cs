using System.Globalization;
using Microsoft.Extensions.Hosting;
using Npgsql;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace Worker.Tests;

/// <summary>
/// The Worker's host over two ledger partitions and a queue database: queued credits, some delivered twice, end up once
/// on each user's own partition; the host stops cleanly.
/// </summary>
public sealed class CreditsWorkerTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task QueuedCredits_AreAppliedOnceOnEachUsersPartition()
    {
        string schema = await File.ReadAllTextAsync(Path.Combine(AppContext.BaseDirectory, "Schema.sql"), Token);
        await using LocalPartitions ledger = await LocalPartitions.StartAsync(2, schema, prefix: "ledger", cancellationToken: Token);
        string queue = await ledger.Server.CreateDatabaseAsync("events", cancellationToken: Token);
        await ledger.Server.ExecuteAsync("events", "create extension pgq; select pgq.create_queue('credits'); select pgq.register_consumer('credits', 'ledger_worker');", Token);

        // 20 users × 5 credits of 1..5, each credit also queued a second time (PgQ delivers at least once).
        string[] users = [.. Enumerable.Range(0, 20).Select(i => $"user{i}")];
        await using var events = NpgsqlDataSource.Create(queue);
        foreach (string user in users)
        {
            for (int n = 1; n <= 5; n++)
            {
                for (int copy = 0; copy < 2; copy++)
                {
                    await using NpgsqlCommand insert = events.CreateCommand("select pgq.insert_event('credits', 'credit', $1, $2, $3, null, null)");
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = user });
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = n.ToString(CultureInfo.InvariantCulture) });
                    insert.Parameters.Add(new NpgsqlParameter<string> { TypedValue = $"{user}-{n}" });
                    await insert.ExecuteNonQueryAsync(Token);
                }
            }
        }

        using IHost host = CreditsWorker.Build([], new Dictionary<string, string?>
        {
            ["ConnectionStrings:Queue"] = queue,
            ["ConnectionStrings:Ledger0"] = ledger.ConnectionStrings[0],
            ["ConnectionStrings:Ledger1"] = ledger.ConnectionStrings[1],
            ["Credits:IdleDelay"] = "00:00:00.100",
        });
        await host.StartAsync(Token);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(TimeSpan.FromSeconds(60));
        decimal total = 0;
        while (total < users.Length * 15m)
        {
            await using (NpgsqlCommand tick = events.CreateCommand("select pgq.ticker()")) // what pgqd does in production
            {
                await tick.ExecuteNonQueryAsync(deadline.Token);
            }

            await Task.Delay(100, deadline.Token);
            total = 0;
            for (int p = 0; p < 2; p++)
            {
                await using var partition = NpgsqlDataSource.Create(ledger.ConnectionStrings[p]);
                await using NpgsqlCommand sum = partition.CreateCommand("select coalesce(sum(balance), 0) from balances");
                total += (decimal)(await sum.ExecuteScalarAsync(deadline.Token))!;
            }
        }

        await host.StopAsync(Token);

        Assert.Equal(users.Length * 15m, total);
        for (int p = 0; p < 2; p++)
        {
            int partition = p;
            await using var database = NpgsqlDataSource.Create(ledger.ConnectionStrings[p]);
            await using NpgsqlCommand rows = database.CreateCommand("select username, balance from balances order by username");
            await using NpgsqlDataReader reader = await rows.ExecuteReaderAsync(Token);
            var found = new Dictionary<string, decimal>();
            while (await reader.ReadAsync(Token))
            {
                found[reader.GetString(0)] = reader.GetDecimal(1);
            }

            Assert.Equal(users.Where(u => Partitions.IndexOf(PgHash.HashText(u), 2) == partition).Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
            Assert.All(found.Values, balance => Assert.Equal(15m, balance));
        }
    }
}
