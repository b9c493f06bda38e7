using System.Diagnostics;
using Npgsql;

namespace PlProxy.Client.PgQ.Tests;

/// <summary>A consumer under PgQ's own ticker daemon, <c>pgqd</c>: no tick is made by the test.</summary>
[Collection(PgQFixture.Collection)]
public sealed class PgQDaemonTests(PgQFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Consumer_UnderPgqd_ReceivesEveryCommittedEventWithoutTicksFromTheTest()
    {
        await using NpgsqlDataSource database = await fixture.QueueDatabaseAsync("ticked", Token);
        string name = new NpgsqlConnectionStringBuilder(database.ConnectionString).Database!;
        string directory = Directory.CreateTempSubdirectory("plproxy-pgqd").FullName;
        string config = Path.Combine(directory, "pgqd.ini");
        await File.WriteAllTextAsync(config, $"""
            [pgqd]
            base_connstr = host={fixture.Server.Host} port={fixture.Server.Port} user=postgres
            initial_database = {name}
            database_list = {name}
            logfile = {Path.Combine(directory, "pgqd.log")}
            pidfile = {Path.Combine(directory, "pgqd.pid")}
            ticker_period = 0.2
            retry_period = 1
            """, Token);
        var consumer = new PgQConsumer(database, "ticked", "c1");
        await consumer.RegisterAsync(Token);
        using Process pgqd = Process.Start(new ProcessStartInfo("pgqd", [config]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        try
        {
            await using (NpgsqlConnection connection = await database.OpenConnectionAsync(Token))
            {
                for (int i = 0; i < 100; i++)
                {
                    await PgQProducer.InsertEventAsync(connection, "ticked", new PgQEvent("e", $"{i}"), Token);
                }
            }

            var received = new List<string?>();
            var waited = Stopwatch.StartNew();
            while (received.Count < 100)
            {
                Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"pgqd made no batch with the events in 30 s ({received.Count} received): {await LogAsync(directory)}");
                if (await consumer.ProcessBatchAsync((_, e, _) => { received.Add(e.Data); return Task.CompletedTask; }, Token) is null)
                {
                    await Task.Delay(100, Token);
                }
            }

            Assert.Equal(Enumerable.Range(0, 100).Select(i => $"{i}"), received);
        }
        finally
        {
            pgqd.Kill();
            await pgqd.WaitForExitAsync(Token);
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<string> LogAsync(string directory)
    {
        string log = Path.Combine(directory, "pgqd.log");
        return File.Exists(log) ? await File.ReadAllTextAsync(log, Token) : "(no log)";
    }
}
