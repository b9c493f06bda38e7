using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Hashing;

namespace PlProxy.Client.IntegrationTests.Resilience;

/// <summary>
/// <see cref="PlProxyException.IsTransient"/> says what its cause says, for real failures of real partitions: retry
/// code, Polly's ShouldHandle and EF-style detectors read the library's exception, not its inner one.
/// </summary>
public sealed class TransientErrorTests(FailureFixture fixture) : IClassFixture<FailureFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private PlProxyDataSource Source(Action<PlProxyClusterOptions>? configure = null, string[]? partitions = null) =>
        PlProxyDataSource.Create(new PlProxyOptions().AddCluster("events", cluster =>
        {
            foreach (string partition in partitions ?? fixture.Partitions)
            {
                cluster.Partitions.Add(partition);
            }

            configure?.Invoke(cluster);
        }));

    private static string KeyOnPartition(int partition) =>
        Enumerable.Range(0, 10_000).Select(i => $"t{i}").First(k => Partitions.IndexOf(PgHash.HashText(k), 4) == partition);

    [Theory]
    [InlineData(PostgresErrorCodes.SerializationFailure, true)]
    [InlineData(PostgresErrorCodes.DeadlockDetected, true)]
    [InlineData(PostgresErrorCodes.UniqueViolation, false)]
    [InlineData(PostgresErrorCodes.CheckViolation, false)]
    public async Task RemoteError_IsTransientExactlyWhenItsSqlStateIs(string state, bool transient)
    {
        await using PlProxyDataSource source = Source();
        IEvents events = source.CreateProxy<IEvents>();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => events.FailWithAsync(KeyOnPartition(1), state, Token));

        Assert.Equal(state, error.SqlState);
        Assert.Equal(transient, error.IsTransient);
        Assert.Equal(((PostgresException)error.InnerException!).IsTransient, error.IsTransient);
    }

    [Fact]
    public async Task ConnectionCutMidCall_IsTransientConnectionFailure()
    {
        var partition0 = new NpgsqlConnectionStringBuilder(fixture.Partitions[0]);
        await using var relay = new TcpRelay(partition0.Port);
        partition0.Port = relay.Port;
        await using PlProxyDataSource source = Source(partitions: [partition0.ConnectionString, .. fixture.Partitions[1..]]);
        IEvents events = source.CreateProxy<IEvents>();

        Task<int> call = events.SlowAsync(10, Token);
        await Task.Delay(TimeSpan.FromMilliseconds(500), Token);
        relay.CutAll();
        var error = await Assert.ThrowsAsync<PlProxyException>(() => call);

        Assert.Equal(PostgresErrorCodes.ConnectionFailure, error.SqlState);
        Assert.True(error.IsTransient);
        Assert.True(((NpgsqlException)error.InnerException!).IsTransient);
    }

    [Fact]
    public async Task QueryTimeout_IsNotTransient()
    {
        await using PlProxyDataSource source = Source(cluster => cluster.QueryTimeout = TimeSpan.FromMilliseconds(300));
        IEvents events = source.CreateProxy<IEvents>();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => events.SlowAsync(10, Token));

        Assert.Equal(PostgresErrorCodes.QueryCanceled, error.SqlState);
        Assert.False(error.IsTransient);
    }

    [Fact]
    public async Task RoutingError_IsNotTransient()
    {
        await using PlProxyDataSource source = Source();
        IEvents events = source.CreateProxy<IEvents>();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => events.ReadDatabaseAsync(null!, Token));

        Assert.Equal(PlProxyException.InternalErrorState, error.SqlState);
        Assert.Contains("Hash function returned NULL", error.Message, StringComparison.Ordinal);
        Assert.False(error.IsTransient);
    }
}
