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
    public async Task APartitionWhoseCircuitOpened_IsReportedAsCircuitOpen()
    {
        var dead = new Npgsql.NpgsqlConnectionStringBuilder(fixture.Partitions[1]) { Port = ClosedPort(), Timeout = 2 };
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPlProxy(options => options.AddCluster("pair", cluster =>
        {
            cluster.Partitions.Add(fixture.Partitions[0]);
            cluster.Partitions.Add(dead.ConnectionString);
            cluster.Retry.MaxRetryAttempts = 0;
            cluster.CircuitBreaker.MinimumThroughput = 2;
            cluster.CircuitBreaker.FailureRatio = 0.5;
            cluster.CircuitBreaker.BreakDuration = TimeSpan.FromSeconds(30);
        })).AddProxy<IPair>();
        services.AddHealthChecks().AddPlProxy(timeout: TimeSpan.FromSeconds(3));
        await using ServiceProvider provider = services.BuildServiceProvider();
        IPair pair = provider.GetRequiredService<IPair>();
        for (int i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<PlProxyException>(() => pair.WhoamiAsync(1, Token)); // connection refused, then the breaker opens
        }

        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Token);

        HealthReportEntry entry = report.Entries["plproxy"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("ok", entry.Data["pair/0"]);
        Assert.StartsWith("circuit open", (string)entry.Data["pair/1"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task APartitionWhoseEveryConnectionCallsHold_IsBusyAndDegraded_NotFailed_AndTheServerIsNotBlamed()
    {
        // A cap of 1 and a 3-s call holding partition 1's one connection past the check's 1-s timeout.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPlProxy(options => options.AddCluster("pair", cluster =>
        {
            cluster.Partitions.Add(fixture.Partitions[0]);
            cluster.Partitions.Add(fixture.Partitions[1]);
            cluster.MaxConnectionsPerPartition = 1;
        })).AddProxy<IPair>();
        services.AddHealthChecks().AddPlProxy(timeout: TimeSpan.FromSeconds(1));
        await using ServiceProvider provider = services.BuildServiceProvider();
        IPair pair = provider.GetRequiredService<IPair>();
        Assert.Equal("host1", await pair.WhoamiAsync(1, Token)); // the cluster is loaded
        Task<string> holding = pair.SleepAsync(1, 3, Token);
        await Task.Delay(200, Token);

        HealthReport busy = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Token).WaitAsync(TimeSpan.FromSeconds(30), Token);

        HealthReportEntry entry = busy.Entries["plproxy"];
        Assert.False(holding.IsCompleted);
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal("ok", entry.Data["pair/0"]);
        Assert.Equal("busy: its 1 connection(s) were in use (by calls, or partitions taken with GetPartitionAsync) for 1 s, so the database was not asked", entry.Data["pair/1"]);
        Assert.Equal("host1", await holding.WaitAsync(TimeSpan.FromSeconds(30), Token));
        HealthReport after = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        Assert.Equal(HealthStatus.Healthy, after.Entries["plproxy"].Status);
    }

    private static int ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop(); // nothing listens there now
        return port;
    }

    [Fact]
    public async Task APartitionNobodyListensFor_IsUnhealthy_NamingItAndOnlyIt()
    {
        var dead = new Npgsql.NpgsqlConnectionStringBuilder(fixture.Partitions[1]) { Port = ClosedPort(), Timeout = 2 };

        HealthReport report = await CheckAsync([fixture.Partitions[0], dead.ConnectionString]);

        HealthReportEntry entry = report.Entries["plproxy"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("ok", entry.Data["pair/0"]);
        Assert.NotEqual("ok", entry.Data["pair/1"]);
        Assert.Contains("pair/1 (host1)", entry.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APartitionThatAcceptsAndNeverAnswers_IsUnhealthyWithinTheChecksTimeout()
    {
        // A listener that takes the TCP connection and never says a word: Npgsql's open would wait its Timeout (15 s).
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new List<Socket>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        Task accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                accepted.Add(await silent.AcceptSocketAsync(stop.Token));
            }
        }, stop.Token);
        var mute = new Npgsql.NpgsqlConnectionStringBuilder(fixture.Partitions[1]) { Port = ((IPEndPoint)silent.LocalEndpoint).Port };
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPlProxy(options => options.AddCluster("pair", fixture.Partitions[0], mute.ConnectionString));
        services.AddHealthChecks().AddPlProxy(timeout: TimeSpan.FromSeconds(1));
        await using ServiceProvider provider = services.BuildServiceProvider();

        var started = System.Diagnostics.Stopwatch.StartNew();
        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(Token).WaitAsync(TimeSpan.FromSeconds(30), Token);
        TimeSpan took = started.Elapsed;

        HealthReportEntry entry = report.Entries["plproxy"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("no answer within 1 s", entry.Data["pair/1"]);
        Assert.True(took < TimeSpan.FromSeconds(8), $"the check took {took.TotalSeconds:0.0} s; its timeout is 1 s and Npgsql's connect timeout 15 s");
        Assert.NotEmpty(accepted); // the listener did take the connection
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accepting);
        accepted.ForEach(socket => socket.Dispose());
    }
}
