using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PlProxy.Client.Hosting.Tests;

/// <summary>The health check against real partitions: healthy when all answer, unhealthy naming the one that does not.</summary>
public sealed class HealthCheckTests(HostingFixture fixture) : IClassFixture<HostingFixture>
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static async Task<HealthReport> CheckAsync(string[] partitions)
    {
        var services = new ServiceCollection();
        services.AddLogging(); // the health check service logs
        services.AddPlProxy(options => options.AddCluster("pair", partitions));
        services.AddHealthChecks().AddPlProxy(timeout: TimeSpan.FromSeconds(3));
        await using ServiceProvider provider = services.BuildServiceProvider();
        return await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Token);
    }

    [Fact]
    public async Task EveryPartitionAnswers_IsHealthy_WithAnEntryPerPartition()
    {
        HealthReport report = await CheckAsync(fixture.Partitions);

        HealthReportEntry entry = report.Entries["plproxy"];
        Assert.Equal(HealthStatus.Healthy, entry.Status);
        Assert.Equal(new Dictionary<string, object> { ["pair/0"] = "ok", ["pair/1"] = "ok" }, entry.Data);
    }

    [Fact]
    public async Task APartitionNobodyListensFor_IsUnhealthy_NamingItAndOnlyIt()
    {
        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int port = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now
        var dead = new Npgsql.NpgsqlConnectionStringBuilder(fixture.Partitions[1]) { Port = port, Timeout = 2 };

        HealthReport report = await CheckAsync([fixture.Partitions[0], dead.ConnectionString]);

        HealthReportEntry entry = report.Entries["plproxy"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("ok", entry.Data["pair/0"]);
        Assert.NotEqual("ok", entry.Data["pair/1"]);
        Assert.Contains("pair/1 (host1)", entry.Description, StringComparison.Ordinal);
    }
}
