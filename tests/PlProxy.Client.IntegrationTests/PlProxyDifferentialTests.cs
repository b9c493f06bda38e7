using Npgsql;
using PlProxy.Client.TestSupport;

namespace PlProxy.Client.IntegrationTests;

/// <summary>
/// The generated proxy against server-side PL/Proxy over the same partitions: for hundreds of random calls of each
/// shape, the same rows in the same order and the same errors (SQLSTATE).
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class PlProxyDifferentialTests(UserDbFixture fixture)
{
    private const int Calls = 500;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private string RandomUsername(Random random) =>
        random.Next(5) == 0 ? $"missing-{random.Next(1000)}" : fixture.Users[random.Next(fixture.Users.Count)].Username;

    [Fact]
    public async Task ScalarHashCalls_ReturnWhatPlProxyReturns()
    {
        var random = new Random(101);
        for (int call = 0; call < Calls; call++)
        {
            string username = RandomUsername(random);

            decimal? ours = await fixture.Db.FindBalanceAsync(username, Token);
            object? theirs = await ScalarAsync("select get_balance($1)", username);

            Assert.Equal(theirs is DBNull ? null : (decimal?)theirs, ours);
        }
    }

    [Fact]
    public async Task CompositeHashCalls_ReturnWhatPlProxyReturns()
    {
        var random = new Random(102);
        for (int call = 0; call < Calls; call++)
        {
            string username = RandomUsername(random);

            UserRow? ours = await fixture.Db.GetUserAsync(username, Token);
            List<object?[]> theirs = await RowsAsync("select username, balance, currency, email from get_user($1)", username);

            object?[] row = Assert.Single(theirs);
            UserRow? expected = row[0] is DBNull ? null : new UserRow((string)row[0]!, (decimal)row[1]!, (string)row[2]!, row[3] as string);
            Assert.Equal(expected, ours);
        }
    }

    [Fact]
    public async Task SplitCalls_ReturnThePlProxyRowsAsMultisets()
    {
        var random = new Random(103);
        for (int call = 0; call < Calls; call++)
        {
            string[] usernames = [.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => RandomUsername(random))];

            IReadOnlyList<UserBalance> ours = await fixture.Db.GetBalancesAsync(usernames, Token);
            List<object?[]> theirs = await RowsAsync("select username, balance from get_balances($1::text[])", (object)usernames);

            Assert.Equal(theirs.Select(r => ((string)r[0]!, (decimal)r[1]!)).Order(), ours.Select(r => (r.Username, r.Balance)).Order());
        }
    }

    [Fact]
    public async Task SplitCalls_ReturnThePlProxyRowsInItsOrder()
    {
        var random = new Random(105);
        for (int call = 0; call < Calls; call++)
        {
            string[] usernames = [.. Enumerable.Range(0, random.Next(0, 12)).Select(_ => RandomUsername(random))];

            IReadOnlyList<UserBalance> ours = await fixture.Db.GetBalancesAsync(usernames, Token);
            List<object?[]> theirs = await RowsAsync("select username, balance from get_balances($1::text[])", (object)usernames);

            Assert.Equal(theirs.Select(r => ((string)r[0]!, (decimal)r[1]!)), ours.Select(r => (r.Username, r.Balance)));
        }
    }

    [Fact]
    public async Task SetReturningHashCalls_ReturnThePlProxyRowsInItsOrder()
    {
        var random = new Random(106);
        for (int call = 0; call < Calls; call++)
        {
            string username = RandomUsername(random);

            IReadOnlyList<string> ours = await fixture.Db.WherePairAsync(username, Token);
            List<object?[]> theirs = await RowsAsync("select * from where_pair($1)", username);

            Assert.Equal(theirs.Select(r => (string)r[0]!), ours);
        }
    }

    [Fact]
    public async Task RunOnAllCalls_ReturnThePlProxyRowsInItsOrder()
    {
        IReadOnlyList<PartitionStats> ours = await fixture.Db.GetStatsListAsync(Token);
        List<object?[]> theirs = await RowsAsync("select db, user_count, total from get_stats()");

        Assert.Equal(theirs.Select(r => ((string)r[0]!, (long)r[1]!, (decimal)r[2]!)), ours.Select(s => (s.Db, s.UserCount, s.Total)));
    }

    [Fact]
    public async Task RunOnAllCalls_ReturnThePlProxyRowsAsMultisets()
    {
        for (int call = 0; call < Calls; call++)
        {
            IReadOnlyList<PartitionStats> ours = await fixture.Db.GetStatsListAsync(Token);
            List<object?[]> theirs = await RowsAsync("select db, user_count, total from get_stats()");

            Assert.Equal(theirs.Select(r => ((string)r[0]!, (long)r[1]!, (decimal)r[2]!)).Order(), ours.Select(s => (s.Db, s.UserCount, s.Total)).Order());
        }
    }

    [Fact]
    public async Task RemoteErrors_CarryThePlProxySqlState()
    {
        var random = new Random(104);
        string[] states = ["22012", "23505", "P0001", "42501", "40001", "XX001", "55P03"];
        for (int call = 0; call < Calls; call++)
        {
            string username = RandomUsername(random);
            string state = states[random.Next(states.Length)];

            var ours = await Assert.ThrowsAsync<PlProxyException>(() => fixture.Db.RaiseAsync(username, state, Token));
            var theirs = await Assert.ThrowsAsync<PostgresException>(() => ScalarAsync("select raise_error($1, $2)", username, state));

            Assert.Equal(theirs.SqlState, ours.SqlState);
        }
    }

    private Task<object?> ScalarAsync(string sql, params object[] arguments) => ServerSideCalls.ScalarAsync(fixture.PlProxy, sql, Token, arguments);

    private Task<List<object?[]>> RowsAsync(string sql, params object[] arguments) => ServerSideCalls.RowsAsync(fixture.PlProxy, sql, Token, arguments);
}
