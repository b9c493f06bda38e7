namespace PlProxy.Client.IntegrationTests.Connections;

/// <summary>
/// A fleet on this machine (samples/Fleet): 16 service instances, each a process with its own data source and 16
/// callers, against 64 partition databases on 4 PostgreSQL servers whose max_connections is the README's formula for
/// a cap of 2 (16 instances × 16 partition databases per server × 2, plus the reserve).
/// </summary>
public sealed class FleetTests
{
    [Fact]
    public async Task SixteenInstances_OnSixtyFourPartitionsOfFourServers_AnswerEveryCallRightWithinTheFormulasConnections()
    {
        SampleRun fleet = await SampleRun.RunAsync("fleet", "Fleet.dll", ["run", "--servers", "4", "--partitions", "64", "--instances", "16", "--callers", "16", "--seconds", "6", "--cap", "2"], TimeSpan.FromMinutes(4));

        Assert.True(fleet["calls"] > 1_000, $"the fleet made only {fleet.Text("calls")} calls");
        Assert.Equal(0, fleet["failed"]);
        Assert.Equal(0, fleet["wrong"]);
        Assert.Equal("", fleet.Text("errors"));
        Assert.Equal(0, fleet["samples_refused"]);
        Assert.Equal(512, fleet["formula"]);
        Assert.InRange(fleet["most_connections_per_server"], 1, 512);
    }
}
