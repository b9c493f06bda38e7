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
/// A proxy database whose locale is Turkish: PL/Proxy evaluated <c>lower(username)</c> there, where <c>lower('I')</c> is
/// <c>ı</c> and <c>upper('i')</c> is <c>İ</c>, so keys with an I or an i hash other text than under any other locale.
/// The client reads how the proxy database maps them and routes every key as PL/Proxy did.
/// </summary>
[Collection(UserDbFixture.Collection)]
public sealed class ProxyDatabaseLocaleTests(UserDbFixture fixture)
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task ClustersOfATurkishProxyDatabase_RouteLowerAndUpperOfEveryAsciiKeyAsPlProxyDid()
    {
        string name = $"trproxy_{Guid.NewGuid():N}"[..20];
        // eng/test.sh makes the tr_TR.UTF-8 locale.
        await fixture.Server.ExecuteAsync("postgres", $"create database {name} template template0 encoding 'UTF8' lc_collate 'tr_TR.UTF-8' lc_ctype 'tr_TR.UTF-8'", Token);
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
        string proxy = fixture.Server.ConnectionString(name);
        await using var plProxy = NpgsqlDataSource.Create(proxy);
        var services = new ServiceCollection();
        services.AddPlProxy(options => options.UseProxyDatabase(proxy)).AddProxy<ICaseRoutes>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        ICaseRoutes routes = provider.GetRequiredService<ICaseRoutes>();
        // The same cluster configured by hand, its case mapping left at the default: what the client did before.
        using PlProxyDataSource unaware = PlProxyDataSource.Create(new PlProxyOptions().AddCluster("userdb", [.. Enumerable.Range(0, UserDbFixture.PartitionCount).Select(i => fixture.Server.ConnectionString(UserDbFixture.PartitionDatabase(i)))]));
        ICaseRoutes unawareRoutes = unaware.CreateProxy<ICaseRoutes>();
        string[] keys = [.. Enumerable.Range(0, 100).SelectMany(i => new[] { $"ISTANBUL-{i}", $"izmir-{i}", $"Kiwi{i}", $"MIXEDcase{i}", $"plain{i}" })];

        int unawareWrong = 0;
        foreach (string key in keys)
        {
            string lower = await PlProxyRouteAsync(plProxy, "lower_route", key);
            string upper = await PlProxyRouteAsync(plProxy, "upper_route", key);
            Assert.Equal(lower, await routes.LowerRouteAsync(key, Token));
            Assert.Equal(upper, await routes.UpperRouteAsync(key, Token));
            unawareWrong += lower != await unawareRoutes.LowerRouteAsync(key, Token) || upper != await unawareRoutes.UpperRouteAsync(key, Token) ? 1 : 0;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"{unawareWrong} of {keys.Length} keys routed elsewhere under the C mapping of I and i");
        Assert.True(unawareWrong > keys.Length / 10, $"only {unawareWrong} of {keys.Length} keys went elsewhere under the C mapping of I and i: the test would not show the Turkish one at work");
        var refused = await Assert.ThrowsAsync<PlProxyException>(() => routes.LowerRouteAsync("İSTANBUL", Token)); // non-ASCII: as under any locale, refused
        Assert.Contains("non-ASCII character U+0130", refused.Message, StringComparison.Ordinal);
    }

    private static async Task<string> PlProxyRouteAsync(NpgsqlDataSource proxy, string function, string username)
    {
        await using NpgsqlCommand command = proxy.CreateCommand($"select {function}($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = username });
        return (string)(await command.ExecuteScalarAsync(Token))!;
    }
}
