using System.Diagnostics;

namespace QuickStart.Tests;

/// <summary>The sample itself, run as a newcomer runs it: no configuration, local partitions, exit code 0.</summary>
public sealed class QuickStartRunTests
{
    [Fact]
    public async Task QuickStart_WithNoConfiguration_ShowsEveryCallShapeAndExitsZero()
    {
        string sample = Path.Combine(AppContext.BaseDirectory, "QuickStart.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(sample);
        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> errors = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        string text = await output;

        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}: {await errors}\n{text}");
        Assert.Contains("user42   -> partition", text, StringComparison.Ordinal);
        Assert.Contains("RUN ON ANY ran on: part", text, StringComparison.Ordinal);
        Assert.Contains("RUN ON ALL (every partition, in parallel):", text, StringComparison.Ordinal);
        Assert.Contains("SPLIT batch of 8 deposits", text, StringComparison.Ordinal);
        Assert.Contains("SQLSTATE: P0001", text, StringComparison.Ordinal);
        Assert.Contains("carla (DE) lives in geo", text, StringComparison.Ordinal);
        Assert.Matches(@"Timing: 2000 single-partition calls from 8 callers in [\d.]+ s = \d+ calls/s", text);
    }
}
