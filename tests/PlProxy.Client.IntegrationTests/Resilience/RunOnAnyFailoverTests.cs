using System.Net;
using System.Net.Sockets;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.IntegrationTests.Resilience;

/// <summary>RUN ON ANY in the shapes other than a single value: streamed rows and a partial result.</summary>
[PlProxy("CLUSTER 'userdb'; RUN ON ANY; TARGET any_database;")]
public interface IAnyShapes
{
    [PlProxy("")]
    IAsyncEnumerable<string> StreamAnyDatabaseAsync(CancellationToken cancellationToken = default);

    [PlProxy("")]
    Task<PlProxyPartialResult<string>> PartialAnyDatabaseAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// RUN ON ANY moves on to the next partition when the one it drew cannot be reached, with the partition pipeline
/// (retries, breaker) and without one (both switched off: the attempt runs directly).
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class RunOnAnyFailoverTests(UserDbFixture fixture)
{
    private const int Calls = 40;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task RunOnAny_WithThreeOfFourPartitionsUnreachable_AnswersEveryCallFromTheLiveOne() =>
        Assert.All(await AnyDatabasesAsync(cluster => cluster.Retry.Delay = TimeSpan.FromMilliseconds(10)), database => Assert.Equal("part3", database));

    [Fact]
    public async Task RunOnAny_WithoutRetriesAndBreaker_StillFailsOverToTheLivePartition() =>
        Assert.All(
            await AnyDatabasesAsync(cluster =>
            {
                cluster.Retry.MaxRetryAttempts = 0;
                cluster.CircuitBreaker.Enabled = false;
            }),
            database => Assert.Equal("part3", database));

    [Fact]
    public async Task RunOnAny_StreamedAndAsAPartialResult_FailsOverToTheLivePartitionToo()
    {
        await using PlProxyDataSource source = PlProxyDataSource.Create(OneLiveOfFour(cluster => cluster.Retry.Delay = TimeSpan.FromMilliseconds(10)));
        IAnyShapes db = source.CreateProxy<IAnyShapes>();
        var streamed = new List<string>();
        var partial = new List<PlProxyPartialResult<string>>();
        for (int i = 0; i < Calls; i++)
        {
            await foreach (string database in db.StreamAnyDatabaseAsync(Token))
            {
                streamed.Add(database);
            }

            partial.Add(await db.PartialAnyDatabaseAsync(Token));
        }

        Assert.Equal(Enumerable.Repeat("part3", Calls), streamed);
        Assert.All(partial, result =>
        {
            Assert.Equal(["part3"], result.Rows);
            Assert.Empty(result.Errors);
        });
    }

    // Partitions 0-2 point at a loopback port nothing listens on (connection refused), partition 3 is live: three
    // calls in four draw an unreachable partition first.
    private async Task<List<string>> AnyDatabasesAsync(Action<PlProxyClusterOptions> configure)
    {
        await using PlProxyDataSource source = PlProxyDataSource.Create(OneLiveOfFour(configure));
        IUserDb db = source.CreateProxy<IUserDb>();
        var databases = new List<string>();
        for (int i = 0; i < Calls; i++)
        {
            databases.Add(await db.AnyDatabaseAsync(Token));
        }

        return databases;
    }

    private PlProxyOptions OneLiveOfFour(Action<PlProxyClusterOptions> configure)
    {
        string dead = $"Host=127.0.0.1;Port={ClosedPort()};Username=postgres;Database=nowhere;Timeout=2";
        return new PlProxyOptions().AddCluster("userdb", cluster =>
        {
            cluster.Partitions.Add(dead);
            cluster.Partitions.Add(dead + ";Application Name=p1");
            cluster.Partitions.Add(dead + ";Application Name=p2");
            cluster.Partitions.Add(fixture.PartitionConnectionStrings[3]);
            configure(cluster);
        });
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
