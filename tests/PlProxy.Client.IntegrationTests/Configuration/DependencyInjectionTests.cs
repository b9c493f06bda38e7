using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace PlProxy.Client.IntegrationTests.Configuration;

/// <summary>The DI conventions: keyed data sources side by side, Npgsql's builder in the application's hands, Npgsql's logs in the container's logger factory.</summary>
[Collection(UserDbFixture.Collection)]
public sealed class DependencyInjectionTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private sealed class TwoRegions([FromKeyedServices("primary")] IUserDb primary, [FromKeyedServices("swapped")] IUserDb swapped)
    {
        public IUserDb Primary { get; } = primary;

        public IUserDb Swapped { get; } = swapped;
    }

    private sealed record ApplicationName(string Value);

    [Fact]
    public async Task KeyedDataSources_EachServeTheirOwnClusters()
    {
        string[] partitions = fixture.PartitionConnectionStrings;
        var services = new ServiceCollection();
        services.AddPlProxy("primary", options => options.AddCluster("userdb", partitions)).AddProxy<IUserDb>();
        services.AddPlProxy("swapped", options => options.AddCluster("userdb", [partitions[1], partitions[0], partitions[2], partitions[3]])).AddProxy<IUserDb>();
        services.AddSingleton<TwoRegions>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        var user = fixture.Users.First(u => u.Partition == 0);

        TwoRegions regions = provider.GetRequiredService<TwoRegions>();

        Assert.Equal(user.Balance, await regions.Primary.FindBalanceAsync(user.Username, Token));
        Assert.Null(await regions.Swapped.FindBalanceAsync(user.Username, Token));
        Assert.NotSame(provider.GetRequiredKeyedService<PlProxyDataSource>("primary"), provider.GetRequiredKeyedService<PlProxyDataSource>("swapped"));
        Assert.Null(provider.GetService<PlProxyDataSource>());
    }

    [Fact]
    public async Task KeyedDataSource_InvalidOptions_FailOnlyThatKeyNamingTheCluster()
    {
        var services = new ServiceCollection();
        services.AddPlProxy("good", options => options.AddCluster("userdb", fixture.PartitionConnectionStrings)).AddProxy<IUserDb>();
        services.AddPlProxy("bad", options => options.AddCluster("userdb", fixture.PartitionConnectionStrings[..3])).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => provider.GetRequiredKeyedService<IUserDb>("bad"));
        IUserDb good = provider.GetRequiredKeyedService<IUserDb>("good");

        Assert.Contains("Cluster 'userdb' has 3 partitions", error.Message, StringComparison.Ordinal);
        Assert.Equal(fixture.Users[3].Balance, await good.GetBalanceAsync(fixture.Users[3].Username, Token));
    }

    [Fact]
    public async Task ConfigureNpgsql_BuildsEveryPartitionPoolThroughTheHook_WithTheServiceProvider()
    {
        string name = $"hooked{Guid.NewGuid():N}"[..20];
        var seen = new List<(string? Cluster, int? Partition)>();
        var services = new ServiceCollection();
        services.AddSingleton(new ApplicationName(name));
        services.AddPlProxy(options => options.AddCluster("userdb", fixture.PartitionConnectionStrings))
            .AddProxy<IUserDb>()
            .ConfigureNpgsql((provider, pool) =>
            {
                lock (seen)
                {
                    seen.Add((pool.Cluster, pool.Partition));
                }

                pool.Builder.ConnectionStringBuilder.ApplicationName = $"{provider.GetRequiredService<ApplicationName>().Value}-{pool.Partition}";
            });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IUserDb db = provider.GetRequiredService<IUserDb>();

        var user = fixture.Users.First(u => u.Partition == 2);
        await db.GetBalanceAsync(user.Username, Token); // the pool keeps the connection open, under the hook's name

        Assert.Equal([("userdb", 0), ("userdb", 1), ("userdb", 2), ("userdb", 3)], seen.Order());
        await using var monitor = NpgsqlDataSource.Create(fixture.PartitionConnectionStrings[0]);
        await using NpgsqlCommand sessions = monitor.CreateCommand($"select datname from pg_stat_activity where application_name = '{name}-2'");
        Assert.Equal(UserDbFixture.PartitionDatabase(2), (string?)await sessions.ExecuteScalarAsync(Token));
    }

    [Fact]
    public async Task ContainerLoggerFactory_ReceivesNpgsqlsOwnLogs()
    {
        using var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(logs);
        services.AddPlProxy(options => options.AddCluster("userdb", fixture.PartitionConnectionStrings)).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        await provider.GetRequiredService<IUserDb>().GetBalanceAsync(fixture.Users[0].Username, Token);

        Assert.Contains(logs.Categories, c => c.StartsWith("Npgsql", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConfigureNpgsql_AlsoBuildsTheProxyDatabaseAndConnectTargetPools()
    {
        var seen = new List<(string? Cluster, int? Partition, bool IsProxyDatabase)>();
        var services = new ServiceCollection();
        services.AddPlProxy(options => options.ProxyDatabase = fixture.PlProxy.ConnectionString)
            .AddProxy<IUserDb>()
            .ConfigureNpgsql((_, pool) =>
            {
                lock (seen)
                {
                    seen.Add((pool.Cluster, pool.Partition, pool.IsProxyDatabase));
                }
            });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IUserDb db = provider.GetRequiredService<IUserDb>();

        var user = fixture.Users[7];
        Assert.Equal(user.Balance, await db.GetBalanceAsync(user.Username, Token)); // cluster 'userdb' from the proxy database
        Assert.Equal(UserDbFixture.PartitionDatabase(1), await db.DatabaseAtAsync(fixture.PartitionConnectionStrings[1], Token)); // a CONNECT target

        Assert.Contains((null, null, true), seen);
        Assert.Contains((null, null, false), seen);
        Assert.Equal(4, seen.Count(s => s.Cluster == "userdb"));
    }
}
