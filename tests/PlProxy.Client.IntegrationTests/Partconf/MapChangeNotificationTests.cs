using Npgsql;
using PlProxy.Client.Clusters;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

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
        string proxy = await ProxyDatabaseAsync();
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy));
        await source.Clusters.WarmUpAsync(["moving"], "test", Token);
        await Task.Delay(500, Token); // the listening connection is up

        await ExecuteAsync(proxy, $"update plproxy.map set version = 2, connstr = replace(connstr, 'dbname=one', 'dbname=two'); notify {ProxyDatabaseSource.ChangeChannel}, 'moving'");

        Assert.Equal("2", await VersionWithinAsync(source, "2"));
    }

    [Fact]
    public async Task CutListeningConnection_OnReconnect_ChecksEveryVersion()
    {
        string proxy = await ProxyDatabaseAsync();
        using PlProxyDataSource source = PlProxyDataSource.Create(new PlProxyOptions().UseProxyDatabase(proxy));
        await source.Clusters.WarmUpAsync(["moving"], "test", Token);
        await Task.Delay(500, Token);

        // The listener is cut off and the change is made without a notification (one sent now would reach nobody).
        await using (var database = NpgsqlDataSource.Create(proxy))
        await using (NpgsqlCommand cut = database.CreateCommand($"select count(*) filter (where pg_terminate_backend(pid)) from pg_stat_activity where query ilike 'listen {ProxyDatabaseSource.ChangeChannel}%' and datname = current_database()"))
        {
            Assert.Equal(1L, await cut.ExecuteScalarAsync(Token));
        }

        await ExecuteAsync(proxy, "update plproxy.map set version = 3, connstr = replace(connstr, 'dbname=one', 'dbname=three')");

        Assert.Equal("3", await VersionWithinAsync(source, "3"));
    }

    private async Task<string> ProxyDatabaseAsync()
    {
        string proxy = await fixture.Server.CreateDatabaseAsync($"notify{Guid.NewGuid():N}"[..30], cancellationToken: Token);
        string partition = $"host={fixture.Server.Host} port={fixture.Server.Port} dbname=one user={LocalPostgresServer.Superuser}";
        await ExecuteAsync(proxy, $"""
            create schema plproxy;
            create table plproxy.map (version int4, connstr text);
            insert into plproxy.map values (1, '{partition}');
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$ select version from plproxy.map $$;
            create function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$ select connstr from plproxy.map $$;
            create function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
                select null::text, null::text where false $$;
            """);
        return proxy;
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
