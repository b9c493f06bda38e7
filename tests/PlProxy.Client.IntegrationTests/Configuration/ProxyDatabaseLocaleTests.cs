using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PlProxy.Client.Configuration;
using PlProxy.Client.Testing;

namespace PlProxy.Client.IntegrationTests.Configuration;

[PlProxy("CLUSTER 'userdb';")]
public interface ICaseRoutes
{
    [PlProxy("RUN ON hashtext(lower(username)); SELECT current_database()::text;")]
    Task<string> LowerRouteAsync(string username, CancellationToken cancellationToken = default);

    [PlProxy("RUN ON hashtext(upper(username)); SELECT current_database()::text;")]
    Task<string> UpperRouteAsync(string username, CancellationToken cancellationToken = default);
}

/// <summary>
/// PL/Proxy evaluated <c>lower(username)</c> in the proxy database, in its locale: under Turkish, <c>lower('I')</c> is
/// <c>ı</c> and <c>upper('i')</c> is <c>İ</c>; under C only ASCII letters change; under others non-ASCII letters change
/// as that locale says. The client reads how the proxy database maps them and routes as PL/Proxy did, or refuses what
/// it cannot evaluate exactly.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class ProxyDatabaseLocaleTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClustersOfATurkishProxyDatabase_RouteLowerAndUpperOfEveryAsciiKeyAsPlProxyDid()
    {
        // eng/test.sh makes the tr_TR.UTF-8 locale.
        string proxy = await ProxyDatabaseAsync("lc_collate 'tr_TR.UTF-8' lc_ctype 'tr_TR.UTF-8'");
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        await using ServiceProvider provider = Client(proxy);
        ICaseRoutes routes = provider.GetRequiredService<ICaseRoutes>();
        // The same cluster configured by hand, its case mapping left at the default: what the client did before.
        using PlProxyDataSource unaware = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", [.. Enumerable.Range(0, UserDbFixture.PartitionCount).Select(i => fixture.Server.ConnectionString(UserDbFixture.PartitionDatabase(i)))]));
        ICaseRoutes unawareRoutes = unaware.CreateProxy<ICaseRoutes>();
        string[] keys = [.. Enumerable.Range(0, 100).SelectMany(i => new[] { $"ISTANBUL-{i}", $"izmir-{i}", $"Kiwi{i}", $"MIXEDcase{i}", $"plain{i}" })];

        int unawareWrong = 0;
        foreach (string key in keys)
        {
            (string lower, string upper) = await RoutesAsync(plProxy, key);
            Assert.Equal(lower, await routes.LowerRouteAsync(key, Token));
            Assert.Equal(upper, await routes.UpperRouteAsync(key, Token));
            unawareWrong += lower != await unawareRoutes.LowerRouteAsync(key, Token) || upper != await unawareRoutes.UpperRouteAsync(key, Token) ? 1 : 0;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{unawareWrong} of {keys.Length} keys routed elsewhere under the C mapping of I and i");
        Assert.True(unawareWrong > keys.Length / 10, $"only {unawareWrong} of {keys.Length} keys went elsewhere under the C mapping of I and i: the test would not show the Turkish one at work");
        var refused = await Assert.ThrowsAsync<PlProxyException>(() => routes.LowerRouteAsync("İSTANBUL", Token)); // non-ASCII: as under any locale, refused
        Assert.Contains("non-ASCII character U+0130", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClustersOfACLocaleProxyDatabase_RouteLowerAndUpperOfNonAsciiKeysAsPlProxyDid()
    {
        // Under the C locale only ASCII letters change: the client evaluates that exactly, so non-ASCII keys route
        // rather than being refused as under a locale it cannot know.
        string proxy = await ProxyDatabaseAsync("locale 'C'");
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        await using ServiceProvider provider = Client(proxy);
        ICaseRoutes routes = provider.GetRequiredService<ICaseRoutes>();

        foreach (string key in Enumerable.Range(0, 50).SelectMany(i => new[] { $"Ärger-{i}", $"ÜBER{i}", $"straße{i}", $"ünïcødé-{i}" }))
        {
            (string lower, string upper) = await RoutesAsync(plProxy, key);
            Assert.Equal(lower, await routes.LowerRouteAsync(key, Token));
            Assert.Equal(upper, await routes.UpperRouteAsync(key, Token));
        }
    }

    [Fact]
    public async Task ClustersOfAGermanProxyDatabase_RefuseLowerOfNonAsciiKeys_WhateverTheClientSideSaid()
    {
        // lower('Ä') is 'ä' there, not 'Ä' as under C: the client side's CLocale does not hold for this database.
        string proxy = await ProxyDatabaseAsync("lc_collate 'de_DE.UTF-8' lc_ctype 'de_DE.UTF-8'");
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        await using ServiceProvider provider = Client(proxy, clientSide: cluster => cluster.CaseMapping = PlProxyCaseMapping.CLocale);
        ICaseRoutes routes = provider.GetRequiredService<ICaseRoutes>();

        Assert.Equal((await RoutesAsync(plProxy, "Kiwi")).Lower, await routes.LowerRouteAsync("Kiwi", Token));
        var refused = await Assert.ThrowsAsync<PlProxyException>(() => routes.LowerRouteAsync("Ärger", Token));
        Assert.Contains("non-ASCII character U+00C4", refused.Message, StringComparison.Ordinal);
    }

    // A proxy database made with the given locale clauses, cluster 'userdb' over the fixture's partitions, and
    // PL/Proxy functions routing by hashtext(lower(username)) and hashtext(upper(username)).
    private async Task<string> ProxyDatabaseAsync(string locale)
    {
        string name = $"caseproxy_{Guid.NewGuid():N}"[..22];
        await fixture.Server.ExecuteAsync("postgres", $"create database {name} template template0 encoding 'UTF8' {locale}", Token);
        string partitions = string.Join(", ", Enumerable.Range(0, UserDbFixture.PartitionCount).Select(i => $"'host={fixture.Server.Host} port={fixture.Server.Port} dbname={UserDbFixture.PartitionDatabase(i)} user={LocalPostgresServer.Superuser}'"));
        await fixture.Server.ExecuteAsync(name, $"""
            create extension plproxy;
            create schema plproxy;
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$ select 1 $$;
            create function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$ select unnest(array[{partitions}]) $$;
            create function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
                select null::text, null::text where false $$;
            create function lower_route(username text) returns text as $$ cluster 'userdb'; run on hashtext(lower(username)); select current_database()::text; $$ language plproxy;
            create function upper_route(username text) returns text as $$ cluster 'userdb'; run on hashtext(upper(username)); select current_database()::text; $$ language plproxy;
            """, Token);
        return fixture.Server.ConnectionString(name);
    }

    private static ServiceProvider Client(string proxy, Action<PlProxyClusterOptions>? clientSide = null)
    {
        var services = new ServiceCollection();
        services.AddPlProxy(options =>
        {
            options.UseProxyDatabase(proxy);
            clientSide?.Invoke(options.ProxyDatabaseClusters);
        }).AddProxy<ICaseRoutes>();
        return services.BuildServiceProvider();
    }

    private static async Task<(string Lower, string Upper)> RoutesAsync(NpgsqlDataSource proxy, string username) =>
        (await PlProxyRouteAsync(proxy, "lower_route", username), await PlProxyRouteAsync(proxy, "upper_route", username));

    private static async Task<string> PlProxyRouteAsync(NpgsqlDataSource proxy, string function, string username)
    {
        await using NpgsqlCommand command = proxy.CreateCommand($"select {function}($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = username });
        return (string)(await command.ExecuteScalarAsync(Token))!;
    }
}
