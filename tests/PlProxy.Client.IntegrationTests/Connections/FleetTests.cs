using System.Diagnostics;
using System.Globalization;

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
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "Fleet.dll"), "run", "--servers", "4", "--partitions", "64", "--instances", "16", "--callers", "16", "--seconds", "6", "--cap", "2"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process fleet = Process.Start(start)!;
        Task<string> output = fleet.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await fleet.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(4), TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!fleet.HasExited)
            {
                fleet.Kill(entireProcessTree: true);
            }
        }

        string report = await output;
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.Equal(0, fleet.ExitCode);
        string last = report.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("fleet ", last, StringComparison.Ordinal);
        Dictionary<string, string> fields = last["fleet ".Length..].Trim().Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        long Number(string name) => long.Parse(fields[name], CultureInfo.InvariantCulture);

        Assert.True(Number("calls") > 1_000, $"the fleet made only {fields["calls"]} calls");
        Assert.Equal(0, Number("failed"));
        Assert.Equal(0, Number("wrong"));
        Assert.Equal("", fields["errors"]);
        Assert.Equal(0, Number("samples_refused"));
        Assert.Equal(512, Number("formula"));
        Assert.InRange(Number("most_connections_per_server"), 1, 512);
    }
}
