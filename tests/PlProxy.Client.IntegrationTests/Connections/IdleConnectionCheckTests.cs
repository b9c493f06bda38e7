using Npgsql;
using PlProxy.Client.Connections;
using PlProxy.Client.IntegrationTests.Execution;

namespace PlProxy.Client.IntegrationTests.Connections;

/// <summary>
/// Pooled connections whose backends went away while they were idle (an operator's pg_terminate_backend, a timeout, a
/// restart): as PL/Proxy's check_old_conn does, a connection idle for 2 s or more is looked at before a call goes out
/// on it, and one its backend has left is dropped, so no call (nor shared round trip) fails on it.
/// </summary>
[Collection(CoalescingFixture.Collection)]
public sealed class IdleConnectionCheckTests(CoalescingFixture fixture)
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ConnectionsKilledWhileIdle_AreDroppedBeforeCallsGoOutOnThem_SharedOrAlone()
    {
        const string Application = "idle-killed";
        await using PlProxyDataSource source = fixture.Create(Application, cluster => cluster.MaxConnectionsPerPartition = 2);
        ICappedDb db = source.CreateProxy<ICappedDb>();
        Assert.True(IdleConnectionCheck.Available, "Npgsql's internals changed: idle connections are no longer checked");

        for (int round = 0; round < 3; round++)
        {
            // Both pooled connections in use once (a call of its own beside shared round trips), then idle and killed.
            Task<long> alone = db.OwnTransactionAsync(Token);
            Assert.Equal(Enumerable.Range(0, 40), await Task.WhenAll(Enumerable.Range(0, 40).Select(i => db.EchoAsync(i, Token))).WaitAsync(Bound, Token));
            await alone.WaitAsync(Bound, Token);
            Assert.InRange(await TerminateAsync(Application), 1, 2);
            await Task.Delay(IdleConnectionCheck.IdleBeforeCheck + TimeSpan.FromMilliseconds(300), Token);

            // No call fails: not the shared round trips, not a call of its own.
            Assert.Equal(Enumerable.Range(100, 40), await Task.WhenAll(Enumerable.Range(100, 40).Select(i => db.EchoAsync(i, Token))).WaitAsync(Bound, Token));
            Assert.True(await db.OwnTransactionAsync(Token).WaitAsync(Bound, Token) > 0);
        }
    }

    private async Task<int> TerminateAsync(string application)
    {
        await using var dataSource = NpgsqlDataSource.Create(fixture.Partition + ";Pooling=false");
        await using NpgsqlCommand kill = dataSource.CreateCommand("select count(pg_terminate_backend(pid))::int from pg_stat_activity where application_name = $1");
        kill.Parameters.Add(new NpgsqlParameter<string> { TypedValue = application });
        int killed = (int)(await kill.ExecuteScalarAsync(Token))!;
        for (int i = 0; i < 100 && await fixture.ConnectionsAsync(application) > 0; i++)
        {
            await Task.Delay(20, Token); // gone from pg_stat_activity: the goodbye is on the sockets
        }

        return killed;
    }
}
