using PlProxy.Client.Tool;

namespace PlProxy.Client.Scaffold.Tests;

/// <summary>The <c>plproxy</c> command line run in process, as its Program runs it, with what it prints captured.</summary>
internal static class Tool
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        int exitCode = await ToolCommandLine.InvokeAsync(args, output, error, TestContext.Current.CancellationToken);
        TestContext.Current.TestOutputHelper?.WriteLine($"{DateTime.Now:HH:mm:ss.fff} plproxy {string.Join(' ', args.Take(1))}: {exitCode}\n{output}{error}");
        return (exitCode, output.ToString(), error.ToString());
    }
}
