using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using PlProxy.Client.Configuration;

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
        await using CaseRouting routing = await RoutingAsync("lc_collate 'tr_TR.UTF-8' lc_ctype 'tr_TR.UTF-8'");
        ICaseRoutes routes = routing.Client;
        // The same cluster configured by hand, its case mapping left at the default: what the client did before.
        using PlProxyDataSource unaware = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", [.. Enumerable.Range(0, UserDbFixture.PartitionCount).Select(i => fixture.Server.ConnectionString(UserDbFixture.PartitionDatabase(i)))]));
        ICaseRoutes unawareRoutes = unaware.CreateProxy<ICaseRoutes>();
        string[] keys = [.. Enumerable.Range(0, 100).SelectMany(i => new[] { $"ISTANBUL-{i}", $"izmir-{i}", $"Kiwi{i}", $"MIXEDcase{i}", $"plain{i}" })];

        int unawareWrong = 0;
        foreach (string key in keys)
        {
            (string lower, string upper) = await routing.PlProxyAsync(key);
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
        await using CaseRouting routing = await RoutingAsync("locale 'C'");
        ICaseRoutes routes = routing.Client;

        foreach (string key in Enumerable.Range(0, 50).SelectMany(i => new[] { $"Ärger-{i}", $"ÜBER{i}", $"straße{i}", $"ünïcødé-{i}" }))
        {
            (string lower, string upper) = await routing.PlProxyAsync(key);
            Assert.Equal(lower, await routes.LowerRouteAsync(key, Token));
            Assert.Equal(upper, await routes.UpperRouteAsync(key, Token));
        }
    }

    [Fact]
    public async Task ClustersOfAGermanProxyDatabase_RefuseLowerOfNonAsciiKeys_WhateverTheClientSideSaid()
    {
        // lower('Ä') is 'ä' there, not 'Ä' as under C: the client side's CLocale does not hold for this database.
        await using CaseRouting routing = await RoutingAsync("lc_collate 'de_DE.UTF-8' lc_ctype 'de_DE.UTF-8'", clientSide: cluster => cluster.CaseMapping = PlProxyCaseMapping.CLocale);
        ICaseRoutes routes = routing.Client;

        Assert.Equal((await routing.PlProxyAsync("Kiwi")).Lower, await routes.LowerRouteAsync("Kiwi", Token));
        var refused = await Assert.ThrowsAsync<PlProxyException>(() => routes.LowerRouteAsync("Ärger", Token));
        Assert.Contains("non-ASCII character U+00C4", refused.Message, StringComparison.Ordinal);
    }

    // A proxy database made with the given locale clauses, PL/Proxy routing by hashtext(lower(username)) and
    // hashtext(upper(username)) there, and a client of its clusters (with the given client-side settings).
    private async Task<CaseRouting> RoutingAsync(string locale, Action<PlProxyClusterOptions>? clientSide = null)
    {
        string proxy = await fixture.CreateProxyDatabaseAsync($"encoding 'UTF8' {locale}", """
            create function lower_route(username text) returns text as $$ cluster 'userdb'; run on hashtext(lower(username)); select current_database()::text; $$ language plproxy;
            create function upper_route(username text) returns text as $$ cluster 'userdb'; run on hashtext(upper(username)); select current_database()::text; $$ language plproxy;
            """, Token);
        var services = new ServiceCollection();
        services.AddPlProxy(options =>
        {
            options.UseProxyDatabase(proxy);
            clientSide?.Invoke(options.ProxyDatabaseClusters);
        }).AddProxy<ICaseRoutes>();
        return new CaseRouting(NpgsqlDataSource.Create(proxy), services.BuildServiceProvider());
    }

    /// <summary>PL/Proxy's routes through the proxy database, and the client's.</summary>
    private sealed class CaseRouting(NpgsqlDataSource plProxy, ServiceProvider provider) : IAsyncDisposable
    {
        public ICaseRoutes Client { get; } = provider.GetRequiredService<ICaseRoutes>();

        /// <summary>The databases PL/Proxy routes <paramref name="username"/> to by lower() and by upper().</summary>
        public async Task<(string Lower, string Upper)> PlProxyAsync(string username) =>
            (await RouteAsync("lower_route", username), await RouteAsync("upper_route", username));

        public async ValueTask DisposeAsync()
        {
            await provider.DisposeAsync();
            await plProxy.DisposeAsync();
        }

        private async Task<string> RouteAsync(string function, string username)
        {
            await using NpgsqlCommand command = plProxy.CreateCommand($"select {function}($1)");
            command.Parameters.Add(new NpgsqlParameter { Value = username });
            return (string)(await command.ExecuteScalarAsync(Token))!;
        }
    }
}
