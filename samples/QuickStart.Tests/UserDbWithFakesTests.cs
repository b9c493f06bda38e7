using Microsoft.Extensions.DependencyInjection;
using PlProxy.Client;
using PlProxy.Client.Hashing;
using PlProxy.Client.Testing;

namespace QuickStart.Tests;

/// <summary>Testing code that uses IUserDb without any database: the routing is real, the partitions are fakes.</summary>
public sealed class UserDbWithFakesTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetBalance_AsksTheUsersPartition()
    {
        var userdb = new FakeCluster("userdb", 4).On("get_balance", call => FakeRows.Scalar(call.Partition * 10m));
        var services = new ServiceCollection();
        services.AddPlProxyFakes(userdb).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        decimal? balance = await provider.GetRequiredService<IUserDb>().GetBalanceAsync("user42", Token);

        int partition = Partitions.IndexOf(PgHash.HashText("user42"), 4);
        Assert.Equal(partition * 10m, balance);
        Assert.Equal(partition, Assert.Single(userdb.Calls).Partition);
    }

    [Fact]
    public async Task Withdraw_SurfacesTheRemoteErrorsSqlState()
    {
        var userdb = new FakeCluster("userdb", 4).On("withdraw", _ => throw new PlProxyException("insufficient funds", "P0001"));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(userdb);

        var error = await Assert.ThrowsAsync<PlProxyException>(() => source.CreateProxy<IUserDb>().WithdrawAsync("user7", 1_000m, Token));

        Assert.Equal("P0001", error.SqlState);
    }

    [Fact]
    public async Task GetStats_GathersEveryPartition()
    {
        var userdb = new FakeCluster("userdb", 4).On("get_stats", call => FakeRows.WithColumns("db", "user_count", "total").Row($"p{call.Partition}", 10L, 100m));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(userdb);

        var stats = new List<PartitionStats>();
        await foreach (PartitionStats row in source.CreateProxy<IUserDb>().GetStatsAsync(Token))
        {
            stats.Add(row);
        }

        Assert.Equal(40L, stats.Sum(s => s.UserCount));
    }

    [Fact]
    public async Task GeoCluster_RoutesByCountry()
    {
        var us = new FakeCluster("us", 2).On("home_of", _ => FakeRows.Scalar("us"));
        var row = new FakeCluster("row", 2).On("home_of", _ => FakeRows.Scalar("row"));
        await using PlProxyDataSource source = FakePlProxy.CreateDataSource(us, row);
        IGeoDb geo = source.CreateProxy<IGeoDb>();

        Assert.Equal("us", await geo.HomeOfAsync("CA", "bob", Token));
        Assert.Equal("row", await geo.HomeOfAsync("DE", "carla", Token));
    }
}
