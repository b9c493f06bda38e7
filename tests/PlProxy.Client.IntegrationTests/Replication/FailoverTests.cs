using System.Diagnostics;
using System.Globalization;

namespace PlProxy.Client.IntegrationTests.Replication;

/// <summary>
/// A partition's primary killed under load and its synchronous standby promoted (samples/Failover): three writer
/// processes, each with its own data source, place orders on that partition and on another one all along.
/// </summary>
public sealed class FailoverTests
{
    [Fact]
    public async Task PrimaryKilledAndStandbyPromoted_UnderThreeWriterProcesses_LosesAndDoublesNothingAndResumesWithinASecond()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "Failover.dll"), "run", "--writers", "3", "--before", "2", "--down", "1", "--after", "3"])
        {
            start.ArgumentList.Add(argument);
        }

        using Process run = Process.Start(start)!;
        Task<string> output = run.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await run.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(3), TestContext.Current.CancellationToken);
        }
        finally
        {
            if (!run.HasExited)
            {
                run.Kill(entireProcessTree: true);
            }
        }

        string report = await output;
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        Assert.Equal(0, run.ExitCode);
        string last = report.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1];
        Assert.StartsWith("failover ", last, StringComparison.Ordinal);
        Dictionary<string, string> fields = last["failover ".Length..].Trim().Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal);
        long Number(string name) => long.Parse(fields[name], CultureInfo.InvariantCulture);

        Assert.True(Number("acked") > 1_000, $"only {fields["acked"]} writes were acknowledged");
        Assert.Equal(0, Number("lost")); // every acknowledged write is on its partition's (new) primary
        Assert.Equal(0, Number("duplicated")); // and once: no write was sent again after it had committed
        Assert.Equal(0, Number("acked_while_down"));
        Assert.True(Number("acked_first_after_promotion") > 100, "partition 0 took few writes after the promotion");
        Assert.InRange(Number("resume_after_promotion_ms"), -5_000, 1_000); // within a second of the promotion (it may resume before pg_ctl returns)
        Assert.InRange(Number("second_longest_pause_ms"), 0, 1_000); // the other partition never paused
    }
}
