using System.Diagnostics;
using System.Globalization;

namespace PlProxy.Client.IntegrationTests;

/// <summary>
/// A sample run as a process of its own (its instances are processes too), bounded in time, and its report: the last
/// line, "name key=value ...".
/// </summary>
internal sealed class SampleRun(IReadOnlyDictionary<string, string> fields)
{
    public long this[string name] => long.Parse(fields[name], CultureInfo.InvariantCulture);

    public string Text(string name) => fields[name];

    public static async Task<SampleRun> RunAsync(string name, string dll, string[] arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, dll));
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process run = Process.Start(start)!;
        Task<string> output = run.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            await run.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
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
        Assert.StartsWith(name + " ", last, StringComparison.Ordinal);
        return new SampleRun(last[(name.Length + 1)..].Trim().Split(' ').Select(f => f.Split('=', 2)).ToDictionary(f => f[0], f => f[1], StringComparer.Ordinal));
    }
}
