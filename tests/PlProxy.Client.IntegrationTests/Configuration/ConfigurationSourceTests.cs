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

    [Theory]
    [InlineData(new[] { "0", "1", "2", "4" }, "a partition 4 but no partition 3")] // the binder would make 4 the third
    [InlineData(new[] { "p0", "p1", "p2", "p3" }, "'p0', which is not a partition number")] // with 16, p10 would come before p2
    [InlineData(new[] { "0", "01", "2", "3" }, "'01', which is not a partition number")]
    public async Task PartitionsNumberedOtherwiseThanZeroToCountMinusOne_FailAtStartSayingHow(string[] keys, string how)
    {
        var data = new Dictionary<string, string?>();
        for (int i = 0; i < keys.Length; i++)
        {
            data[$"PlProxy:Clusters:userdb:Partitions:{keys[i]}"] = fixture.PartitionConnectionStrings[i];
        }

        var services = new ServiceCollection();
        services.AddPlProxy(new ConfigurationBuilder().AddInMemoryCollection(data).Build().GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUserDb>());

        Assert.Contains($"Cluster 'userdb' has partitions numbered in the configuration with {how}; number them 0 to 3, each once", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Clusters:userdb:MaxStandbyLag", "1", "Cluster 'userdb': MaxStandbyLag is '1', which .NET reads as 1 days")] // reads from a day-old standby
    [InlineData("Clusters:userdb:QueryTimeout", "30", "Cluster 'userdb': QueryTimeout is '30', which .NET reads as 30 days")]
    [InlineData("Clusters:userdb:Retry:Delay", "1", "Cluster 'userdb': Retry:Delay is '1', which .NET reads as 1 days")]
    [InlineData("ConnectionBudgetTimeout", "15", "ConnectionBudgetTimeout is '15', which .NET reads as 15 days")]
    public async Task DurationWrittenAsABareNumber_FailsAtStartSayingItIsReadAsDays(string key, string value, string message)
    {
        IConfigurationRoot configuration = Configuration(fixture.PartitionConnectionStrings);
        configuration["PlProxy:" + key] = value;
        var services = new ServiceCollection();
        services.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUserDb>());

        Assert.Contains(message + "; write a duration as hours:minutes:seconds (00:00:30 for 30 seconds", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PartitionsNumberedWithAGapInOneOfTwoSections_FailAtStart_WhateverTheOtherSectionSays()
    {
        var partitions = new Dictionary<string, string?>();
        string[] keys = ["0", "1", "2", "4"];
        for (int i = 0; i < keys.Length; i++)
        {
            partitions[$"PlProxy:Clusters:userdb:Partitions:{keys[i]}"] = fixture.PartitionConnectionStrings[i];
        }

        var services = new ServiceCollection();
        services.AddPlProxy(new ConfigurationBuilder().AddInMemoryCollection(partitions).Build().GetSection("PlProxy")).AddProxy<IUserDb>();
        services.AddPlProxy(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["PlProxy:Clusters:userdb:QueryTimeout"] = "00:00:30" }).Build().GetSection("PlProxy"));
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUserDb>());

        Assert.Contains("a partition 4 but no partition 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterGivenPartitionsInCodeAndInConfiguration_FailsAtStart_RatherThanTakeBothListsAsOne()
    {
        // The binder appends the section's four to the four AddCluster gave: eight, a power of two, another map.
        var services = new ServiceCollection();
        services.AddPlProxy(options => options.AddCluster("userdb", fixture.PartitionConnectionStrings));
        services.AddPlProxy(Configuration(fixture.PartitionConnectionStrings).GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUserDb>());

        Assert.Contains("Cluster 'userdb' has 8 partitions, 4 of them from the configuration section", error.Message, StringComparison.Ordinal);
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

        // One that numbers the partitions with a gap is refused saying so, and changes nothing.
        configuration["PlProxy:Clusters:userdb:Partitions:0"] = partitions[1]; // would lose the user, were it applied
        configuration["PlProxy:Clusters:userdb:Partitions:5"] = partitions[3];
        configuration.Reload();
        Assert.Contains(logs.Entries, e => e.EventId == 2003 && e.Text.Contains("Cluster 'userdb' has partitions numbered in the configuration with a partition 5 but no partition 4", StringComparison.Ordinal));
        Assert.Equal(user.Balance, await db.FindBalanceAsync(user.Username, Token));
    }

    [Fact]
    public async Task PartitionsNamingConnectionStrings_AreReadFromConnectionStrings_AndFollowTheirReload()
    {
        string[] partitions = [.. fixture.PartitionConnectionStrings];
        var data = new Dictionary<string, string?>();
        for (int i = 0; i < partitions.Length; i++)
        {
            data[$"PlProxy:Clusters:userdb:Partitions:{i}"] = $"Name=Users{i}";
            data[$"ConnectionStrings:Users{i}"] = partitions[i];
        }

        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration); // the host's configuration, as a .NET host registers it
        services.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        IUserDb db = provider.GetRequiredService<IUserDb>();
        var user = fixture.Users.First(u => u.Partition == 0);
        Assert.Equal(user.Balance, await db.FindBalanceAsync(user.Username, Token));

        // The connection strings change (a rotated secret, a moved database): the clusters follow, as for their own section.
        configuration["ConnectionStrings:Users0"] = partitions[1];
        configuration["ConnectionStrings:Users1"] = partitions[0];
        configuration.Reload();
        Assert.Null(await db.FindBalanceAsync(user.Username, Token));
    }

    [Fact]
    public async Task PartitionNamingAnUndefinedConnectionString_FailsAtStartNamingItAndNoSecret()
    {
        var data = new Dictionary<string, string?>
        {
            ["PlProxy:Clusters:userdb:Partitions:0"] = "Name=Users0",
            ["PlProxy:Clusters:userdb:Partitions:1"] = "Name=Missing",
            ["ConnectionStrings:Users0"] = "Host=h;Database=d;Password=S3CR3T",
        };
        IConfigurationRoot configuration = new ConfigurationBuilder().AddInMemoryCollection(data).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IUserDb>());

        Assert.Contains("Partition 1 of cluster 'userdb' has the connection string named 'Missing', which the configuration does not define (ConnectionStrings:Missing)", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("S3CR3T", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetryOptions_BindThePollyWay_AndAMaxDelayBelowTheDelayIsRefused()
    {
        IConfigurationRoot configuration = Configuration(fixture.PartitionConnectionStrings);
        configuration["PlProxy:Clusters:userdb:Retry:BackoffType"] = "Linear";
        configuration["PlProxy:Clusters:userdb:Retry:UseJitter"] = "false";
        configuration["PlProxy:Clusters:userdb:Retry:Delay"] = "00:00:00.200";
        configuration["PlProxy:Clusters:userdb:Retry:MaxDelay"] = "00:00:01";
        var services = new ServiceCollection();
        services.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using (ServiceProvider provider = services.BuildServiceProvider())
        {
            Client.Resilience.PlProxyRetryOptions retry = provider.GetRequiredService<IOptions<Client.Configuration.PlProxyOptions>>().Value.Clusters["userdb"].Retry;
            Assert.Equal((Polly.DelayBackoffType.Linear, false, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(1)), (retry.BackoffType, retry.UseJitter, retry.Delay, retry.MaxDelay));
            Assert.NotNull(provider.GetRequiredService<IUserDb>());
        }

        configuration["PlProxy:Clusters:userdb:Retry:MaxDelay"] = "00:00:00.100";
        var invalid = new ServiceCollection();
        invalid.AddPlProxy(configuration.GetSection("PlProxy")).AddProxy<IUserDb>();
        await using ServiceProvider refused = invalid.BuildServiceProvider();
        var error = Assert.Throws<OptionsValidationException>(() => refused.GetRequiredService<IUserDb>());
        Assert.Contains("Retry.MaxDelay of cluster 'userdb' (00:00:00.1000000) must be at least Retry.Delay (00:00:00.2000000)", error.Message, StringComparison.Ordinal);
    }
}
