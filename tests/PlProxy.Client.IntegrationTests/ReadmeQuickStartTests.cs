using Microsoft.Extensions.DependencyInjection;

namespace PlProxy.Client.IntegrationTests;

/// <summary>The README's quick start, step by step, with nothing but the public API it shows.</summary>
[Collection(UserDbFixture.Collection)]
public sealed class ReadmeQuickStartTests(UserDbFixture fixture)
{
    [Fact]
    public async Task QuickStart_RunsAsTheReadmeShowsIt()
    {
        var services = new ServiceCollection();
        services.AddPlProxy(options => options.AddCluster("userdb", fixture.PartitionConnectionStrings))
            .AddProxy<IUserDb>();
        await using var provider = services.BuildServiceProvider();

        IUserDb db = provider.GetRequiredService<IUserDb>();
        decimal balance = await db.GetBalanceAsync("user10", TestContext.Current.CancellationToken);
        UserRow? user = await db.GetUserAsync("user10", TestContext.Current.CancellationToken);
        var databases = new List<string>();
        await foreach (PartitionStats stats in db.GetStatsAsync(TestContext.Current.CancellationToken))
        {
            databases.Add(stats.Db);
        }

        Assert.Equal(105m, balance);
        Assert.Equal("user10", user?.Username);
        Assert.Equal(UserDbFixture.PartitionCount, databases.Count);
        Assert.Same(db, provider.GetRequiredService<IUserDb>());
    }

    [Fact]
    public async Task DisposingTheProvider_DisposesTheDataSource()
    {
        var services = new ServiceCollection();
        services.AddPlProxy(options => options.AddCluster("userdb", fixture.PartitionConnectionStrings)).AddProxy<IUserDb>();
        IUserDb db;
        await using (var provider = services.BuildServiceProvider())
        {
            db = provider.GetRequiredService<IUserDb>();
            await db.GetBalanceAsync("user1", TestContext.Current.CancellationToken);
        }

        await Assert.ThrowsAsync<ObjectDisposedException>(() => db.GetBalanceAsync("user1", TestContext.Current.CancellationToken));
    }
}
