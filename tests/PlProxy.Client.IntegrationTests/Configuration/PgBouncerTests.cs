using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Configuration;

/// <summary>
/// Partitions behind a real pgBouncer in statement and transaction pooling modes: every call shape works, many
/// callers share few server connections, and nothing of a session leaks between calls.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class PgBouncerTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(PgBouncerPoolMode.Statement, PlProxyPooler.PgBouncerStatement, false)]
    [InlineData(PgBouncerPoolMode.Transaction, PlProxyPooler.PgBouncerTransaction, false)]
    [InlineData(PgBouncerPoolMode.Statement, PlProxyPooler.PgBouncerStatement, true)]
    [InlineData(PgBouncerPoolMode.Transaction, PlProxyPooler.PgBouncerTransaction, true)]
    public async Task EveryCallShape_WorksBehindPgBouncer(PgBouncerPoolMode mode, PlProxyPooler pooler, bool oneConnectionEach)
    {
        await using LocalPgBouncer bouncer = await LocalPgBouncer.StartAsync(fixture.Server, mode, Token);
        using var batches = new BatchSizes("part", bouncer.Port);
        var options = new PlProxyOptions().AddCluster("userdb", cluster =>
        {
            cluster.Pooler = pooler;
            cluster.MaxPoolSize = 8;
            if (oneConnectionEach)
            {
                cluster.MaxConnectionsPerPartition = 1; // 8 callers queue: calls share round trips through the pooler
            }

            foreach (int partition in Enumerable.Range(0, UserDbFixture.PartitionCount))
            {
                cluster.Partitions.Add(bouncer.ConnectionString(UserDbFixture.PartitionDatabase(partition)));
            }
        });
        await using PlProxyDataSource source = PlProxyDataSource.Create(options);
        IUserDb db = source.CreateProxy<IUserDb>();
        var users = fixture.Users.Take(60).ToList();

        // 8 concurrent callers, each running every shape repeatedly: hash, composite, ALL (streamed and listed), SPLIT, SELECT.
        async Task Caller(int caller)
        {
            for (int round = 0; round < 5; round++)
            {
                var user = users[(caller * 7 + round) % users.Count];
                Assert.Equal(user.Balance, await db.GetBalanceAsync(user.Username, Token));
                Assert.Equal(user.Username, (await db.GetUserAsync(user.Username, Token))?.Username);
                Assert.Equal(UserDbFixture.PartitionCount, (await db.GetStatsListAsync(Token)).Count);
                int streamed = 0;
                await foreach (PartitionStats _ in db.GetStatsAsync(Token))
                {
                    streamed++;
                }

                Assert.Equal(UserDbFixture.PartitionCount, streamed);
                string[] names = [.. users.Skip(caller).Take(9).Select(u => u.Username)];
                Assert.Equal(names.Order(), (await db.GetBalancesAsync(names, Token)).Select(r => r.Username).Order());
                Assert.Equal(new Account(user.Balance, "EUR"), await db.GetAccountAsync(user.Username, Token));
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(c => Task.Run(() => Caller(c), Token)));

        // Writes through the pooler, and a remote error that must not poison the pooled connection.
        string[] writers = [.. users.Take(5).Select(u => u.Username)];
        Assert.Equal(writers.Order(), (await db.AddBalancesAsync(writers, [1, 1, 1, 1, 1], Token)).Order());
        Assert.Equal(writers.Order(), (await db.AddBalancesAsync(writers, [-1, -1, -1, -1, -1], Token)).Order());
        var error = await Assert.ThrowsAsync<PlProxyException>(() => db.RaiseAsync(users[0].Username, "22012", Token));
        Assert.Equal("22012", error.SqlState);
        Assert.Equal(users[0].Balance, await db.GetBalanceAsync(users[0].Username, Token));
        if (oneConnectionEach)
        {
            Assert.True(batches.Largest > 1, $"no round trip was shared (largest: {batches.Largest} calls)");
        }
    }
}
