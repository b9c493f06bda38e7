using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;

namespace PlProxy.Client.IntegrationTests.Partconf;

/// <summary>
/// A cluster read from a proxy database changes in every client at once: the client LISTENs for the change
/// notification, and after its listening connection was cut it checks every version as soon as it listens again.
/// Polling (every 30 s here) is never what brings the change.
/// </summary>
[Collection(PartconfFixture.Collection)]
public sealed class MapChangeNotificationTests(PartconfFixture fixture)
{
    private static readonly TimeSpan Within = TimeSpan.FromSeconds(10); // far below the 30 s poll

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Notification_OfAChangedCluster_ReloadsItWithoutWaitingForThePoll()
    {
        string proxy = await fixture.ProxyDatabaseAsync("moving", [fixture.Libpq("one")], Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy));
        await source.Clusters.WarmUpAsync(["moving"], "test", Token);
        await Task.Delay(500, Token); // the listening connection is up

        await PartconfFixture.PublishMapAsync(proxy, "moving", 2, [fixture.Libpq("two")], Token);
        await ExecuteAsync(proxy, $"notify {ProxyDatabaseSource.ChangeChannel}, 'moving'");

        Assert.Equal("2", await VersionWithinAsync(source, "2"));
    }

    [Fact]
    public async Task CutListeningConnection_OnReconnect_ChecksEveryVersion()
    {
        string proxy = await fixture.ProxyDatabaseAsync("moving", [fixture.Libpq("one")], Token);
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy));
        await source.Clusters.WarmUpAsync(["moving"], "test", Token);
        await Task.Delay(500, Token);

        // The listener is cut off and the change is made without a notification (one sent now would reach nobody).
        await using (var database = NpgsqlDataSource.Create(proxy))
        await using (NpgsqlCommand cut = database.CreateCommand($"select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity where query ilike 'listen {ProxyDatabaseSource.ChangeChannel}%' and datname = current_database()"))
        {
            Assert.Equal(1L, await cut.ExecuteScalarAsync(Token));
        }

        await PartconfFixture.PublishMapAsync(proxy, "moving", 3, [fixture.Libpq("three")], Token);

        Assert.Equal("3", await VersionWithinAsync(source, "3"));
    }

    private static async Task<string?> VersionWithinAsync(PlProxyDataSource source, string expected)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(Within);
        string? version = null;
        while (!timeout.IsCancellationRequested && (version = source.Clusters.Current["moving"].Version) != expected)
        {
            await Task.Delay(20, Token);
        }

        return version;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var database = NpgsqlDataSource.Create(connectionString);
        await using NpgsqlCommand command = database.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Token);
    }
}
