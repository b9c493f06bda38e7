using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.IntegrationTests.Resilience;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Execution;

[PlProxy("CLUSTER 'wire';")]
public interface IWireBalances
{
    [PlProxy("RUN ON hashtext(username);")]
    Task<decimal?> GetBalanceAsync(string username, CancellationToken cancellationToken = default);
}

/// <summary>
/// What a generated call puts on the wire, next to the same call written by hand with Npgsql and the same connection
/// settings: on one connection each, after both have prepared their statement, every call sends the same frontend
/// messages — no extra round trip, reset, type lookup or statement of the library's own.
/// </summary>
public sealed class WireTrafficTests
{
    private const int WarmUpCalls = 10; // past Npgsql's automatic preparation (after 5 uses)
    private const int Calls = 20;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GeneratedCall_AfterPreparation_SendsTheMessagesOfTheHandWrittenCall()
    {
        await using LocalPartitions partitions = await LocalPartitions.StartAsync(1, """
            create table users (username text primary key, balance numeric not null);
            insert into users values ('alice', 100);
            create function get_balance(i_username text) returns numeric language sql stable as $$ select balance from users where username = i_username $$;
            """, prefix: "wire", cancellationToken: Token);
        var handMessages = new FrontendMessages();
        var clientMessages = new FrontendMessages();
        await using var handRelay = new TcpRelay(partitions.Server.Port, handMessages.Feed);
        await using var clientRelay = new TcpRelay(partitions.Server.Port, clientMessages.Feed);

        // The settings PlProxy.Client gives direct partitions, written out for the hand-written side.
        await using NpgsqlDataSource hand = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(Through(handRelay, partitions.ConnectionStrings[0]))
        {
            MaxPoolSize = 1,
            MaxAutoPrepare = 32,
            NoResetOnClose = true,
        }.ConnectionString);
        using PlProxyDataSource client = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("wire", c =>
        {
            c.Partitions.Add(Through(clientRelay, partitions.ConnectionStrings[0]));
            c.MaxPoolSize = 1;
        }));
        IWireBalances balances = client.CreateProxy<IWireBalances>();

        string handPerCall = await PerCallAsync(handMessages, async () =>
        {
            await using NpgsqlCommand command = hand.CreateCommand("select get_balance($1)");
            command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "alice" });
            return await command.ExecuteScalarAsync(Token) as decimal?;
        });
        string clientPerCall = await PerCallAsync(clientMessages, () => balances.GetBalanceAsync("alice", Token));

        await File.WriteAllTextAsync(Path.Combine(AppContext.BaseDirectory, "wire-traffic.txt"), $"frontend messages per call after preparation: hand-written {handPerCall}, PlProxy.Client {clientPerCall}\n", Token);
        Assert.Equal("BES", handPerCall); // Bind, Execute, Sync: one round trip of a prepared statement
        Assert.Equal(handPerCall, clientPerCall);
    }

    private static string Through(TcpRelay relay, string connectionString) =>
        new NpgsqlConnectionStringBuilder(connectionString) { Host = "127.0.0.1", Port = relay.Port }.ConnectionString;

    // The messages each call sends once warm, checked to be the same for every call.
    private static async Task<string> PerCallAsync(FrontendMessages messages, Func<Task<decimal?>> call)
    {
        for (int i = 0; i < WarmUpCalls; i++)
        {
            Assert.Equal(100m, await call());
        }

        messages.Clear();
        for (int i = 0; i < Calls; i++)
        {
            Assert.Equal(100m, await call());
        }

        string all = messages.Types;
        Assert.Equal(0, all.Length % Calls);
        string perCall = all[..(all.Length / Calls)];
        Assert.Equal(string.Concat(Enumerable.Repeat(perCall, Calls)), all);
        return perCall;
    }
}
