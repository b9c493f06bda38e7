using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace PlProxy.Client.Hosting.Tests;

/// <summary>WarmUpOnStart() in a real host: a missing cluster fails the start, a proxy-database cluster is loaded before the first call.</summary>
public sealed class WarmUpTests(HostingFixture fixture) : IClassFixture<HostingFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public Task ClusterDefinedNowhere_FailsTheHostStartNamingIt() => AssertStartFailsOnGhost<IGhosts>();

    [Fact]
    public Task ClusterOnlyAnInheritedInterfaceNames_FailsTheHostStartNamingIt() => AssertStartFailsOnGhost<IGhostsInherited>();

    private async Task AssertStartFailsOnGhost<TProxy>()
        where TProxy : class
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPlProxy(options => options.AddCluster("real", fixture.Partitions)).AddProxy<TProxy>().WarmUpOnStart();
        using IHost host = builder.Build();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => host.StartAsync(Token));

        Assert.Equal("ghost", error.Cluster);
        Assert.Contains("no such cluster: ghost", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClusterAMapTableLacks_FailsTheHostStartAsAFirstCallWouldNamingIt()
    {
        // The README's plproxy.cluster_map form: get_cluster_version is max(version), NULL for a cluster it lacks.
        string proxy = await fixture.Server.CreateDatabaseAsync("warmup_map", cancellationToken: Token);
        await fixture.Server.ExecuteAsync("warmup_map", """
            create schema plproxy;
            create table plproxy.cluster_map (cluster_name text, version int4, part_nr int4, connstr text);
            create function plproxy.get_cluster_version(i_cluster text) returns int4 language sql as $$
                select max(version) from plproxy.cluster_map where cluster_name = i_cluster $$;
            create function plproxy.get_cluster_partitions(i_cluster text) returns setof text language sql as $$
                select connstr from plproxy.cluster_map where cluster_name = i_cluster order by part_nr $$;
            create function plproxy.get_cluster_config(in i_cluster text, out key text, out val text) returns setof record language sql as $$
                select null::text, null::text where false $$;
            """, Token);
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPlProxy(options => options.ProxyDatabase = proxy).AddProxy<IDefinedInProxyDatabase>().WarmUpOnStart();
        using IHost host = builder.Build();

        var error = await Assert.ThrowsAsync<PlProxyException>(() => host.StartAsync(Token));

        Assert.Equal("fromproxy", error.Cluster);
        Assert.Contains("no such cluster: fromproxy (proxy database: plproxy.get_cluster_version('fromproxy') returned NULL)", error.Message, StringComparison.Ordinal);

        // A first call, without the warm-up, raises the same error.
        ServiceCollection services = new();
        services.AddPlProxy(options => options.ProxyDatabase = proxy).AddProxy<IDefinedInProxyDatabase>();
        await using ServiceProvider provider = services.BuildServiceProvider();
        PlProxyException first = await Assert.ThrowsAsync<PlProxyException>(() => provider.GetRequiredService<IDefinedInProxyDatabase>().WhoamiAsync(Token));
        Assert.Equal((error.Cluster, error.SqlState), (first.Cluster, first.SqlState));
        Assert.Contains("no such cluster: fromproxy (proxy database: plproxy.get_cluster_version('fromproxy') returned NULL)", first.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ProxyDatabaseCluster_IsLoadedAtStart_BeforeAnyCall()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddPlProxy(options => options.ProxyDatabase = fixture.ProxyDatabase).AddProxy<IDefinedInProxyDatabase>().WarmUpOnStart();
        using IHost host = builder.Build();
        await host.StartAsync(Token);

        // The definition disappears after the start: a call can only succeed with the version loaded at start.
        await using var hide = Npgsql.NpgsqlDataSource.Create(fixture.ProxyDatabase);
        await using var connection = await hide.OpenConnectionAsync(Token);
        await using var transaction = await connection.BeginTransactionAsync(Token);
        await using (var delete = new Npgsql.NpgsqlCommand("delete from plproxy.cluster_partitions where cluster_name = 'fromproxy'", connection, transaction))
        {
            await delete.ExecuteNonQueryAsync(Token);
        }

        await transaction.CommitAsync(Token);
        try
        {
            Assert.Equal("host0", await host.Services.GetRequiredService<IDefinedInProxyDatabase>().WhoamiAsync(Token));
        }
        finally
        {
            await fixture.Server.ExecuteAsync("hostproxy", $"insert into plproxy.cluster_partitions values ('fromproxy', 0, '{fixture.Partitions[0]}'), ('fromproxy', 1, '{fixture.Partitions[1]}');", Token);
            await host.StopAsync(Token);
        }
    }
}
