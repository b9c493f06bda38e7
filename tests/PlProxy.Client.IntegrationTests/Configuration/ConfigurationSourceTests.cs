using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PlProxy.Client.IntegrationTests.Configuration;

/// <summary>Clusters from IConfiguration: bound, validated at start, and swapped atomically when the configuration reloads.</summary>
[Collection(UserDbFixture.Collection)]
public sealed class ConfigurationSourceTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private IConfigurationRoot Configuration(params string[] partitions)
    {
        var data = new Dictionary<string, string?>();
        for (int i = 0; i < partitions.Length; i++)
        {
            data[$"PlProxy:Clusters:userdb:Partitions:{i}"] = partitions[i];
        }

        data["PlProxy:Clusters:userdb:QueryTimeout"] = "00:00:30";
        data["PlProxy:Clusters:userdb:MaxPoolSize"] = "10";
        return new ConfigurationBuilder().AddInMemoryCollection(data).Build();
    }

    [Fact]
    public async Task BoundConfiguration_RoutesCalls()
    {
        IConfigurationRoot configuration = Configuration(fixture.PartitionConnectionStrings);
        var services = new ServiceCollection();
        services.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var user = fixture.Users[20];
        Assert.Equal(user.Balance, await provider.GetRequiredService<IUserDb>().GetBalanceAsync(user.Username, Token));
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<Client.Configuration.PlProxyOptions>>().Value.Clusters["userdb"].QueryTimeout);
    }

    [Fact]
    public async Task InvalidConfiguration_FailsAtStartNamingTheCluster()
    {
        IConfigurationRoot configuration = Configuration(fixture.PartitionConnectionStrings[..3]);
        var services = new ServiceCollection();
        services.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUserDb>());

        Assert.Contains("Cluster 'userdb' has 3 partitions", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reload_SwapsTheClusterAtomically_AndAnInvalidReloadIsLoggedAndChangesNothing()
    {
        string[] partitions = [.. fixture.PartitionConnectionStrings];
        IConfigurationRoot configuration = Configuration(partitions);
        using var logs = new CapturingLoggerProvider();
        var services = new ServiceCollection();
        services.AddSingleton<Microsoft.Extensions.Logging.ILoggerFactory>(logs);
        services.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        IUserDb db = provider.GetRequiredService<IUserDb>();
        var user = fixture.Users.First(u => u.Partition == 0);
        Assert.Equal(user.Balance, await db.FindBalanceAsync(user.Username, Token));

        // Partitions 0 and 1 swap databases: the user's partition now points at a database that lacks the user.
        configuration["PlProxy:Clusters:userdb:Partitions:0"] = partitions[1];
        configuration["PlProxy:Clusters:userdb:Partitions:1"] = partitions[0];
        configuration.Reload();
        Assert.Null(await db.FindBalanceAsync(user.Username, Token));

        // A reload with an empty partition is invalid: it is refused without throwing into the configuration provider,
        // a warning says why, and the swapped cluster stays in use, whole.
        configuration["PlProxy:Clusters:userdb:Partitions:0"] = partitions[0];
        configuration["PlProxy:Clusters:userdb:Partitions:3"] = "";
        configuration.Reload();
        Assert.Contains(logs.Entries, e => e.EventId == 2003 && e.Text.Contains("Partition 3 of cluster 'userdb' has an empty connection string", StringComparison.Ordinal));
        Assert.Null(await db.FindBalanceAsync(user.Username, Token));

        // The next valid reload is applied as usual.
        configuration["PlProxy:Clusters:userdb:Partitions:1"] = partitions[1];
        configuration["PlProxy:Clusters:userdb:Partitions:3"] = partitions[3];
        configuration.Reload();
        Assert.Equal(user.Balance, await db.FindBalanceAsync(user.Username, Token));
    }
}
