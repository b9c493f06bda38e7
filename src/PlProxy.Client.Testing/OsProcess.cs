using System.Diagnostics;
using System.Text;

namespace PlProxy.Client.Testing;

/// <summary>The outcome of a finished operating-system process.</summary>
internal sealed record OsProcessResult(int ExitCode, string StandardOutput, string StandardError);

/// <summary>Runs a program to completion, optionally as another OS user (through <c>runuser</c>), with a time limit.</summary>
internal static class OsProcess
{
    public static async Task<OsProcessResult> RunAsync(
        string fileName, IReadOnlyList<string> arguments, string? runAs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ProcessStartInfo startInfo = StartInfo(fileName, arguments, runAs);
        startInfo.RedirectStandardInput = true;

        // A predictable locale for initdb and the server's messages.
        startInfo.Environment["LC_ALL"] = "C";
        startInfo.Environment["LANG"] = "C";

        using var process = new Process { StartInfo = startInfo };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (error) { error.AppendLine(e.Data); } } };

        process.Start();
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeoutSource.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(timeoutSource.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw new TimeoutException($"'{Describe(startInfo)}' did not finish within {timeout.TotalSeconds:0} s.");
        }

        // The parameterless wait drains the asynchronous output readers.
        process.WaitForExit();
        lock (output)
        {
            lock (error)
            {
                return new OsProcessResult(process.ExitCode, output.ToString(), error.ToString());
            }
        }
    }

    /// <summary>How to start <paramref name="fileName"/>: directly, or through <c>runuser -u</c> as another OS user.</summary>
    public static ProcessStartInfo StartInfo(string fileName, IReadOnlyList<string> arguments, string? runAs)
    {
        var startInfo = new ProcessStartInfo(runAs is null ? fileName : "runuser")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (runAs is not null)
        {
            foreach (string prefix in new[] { "-u", runAs, "--", fileName })
            {
                startInfo.ArgumentList.Add(prefix);
            }
        }

        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return startInfo;
    }

    /// <summary>A TCP port free on the loopback address at the time of asking.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<OsProcessResult> RunCheckedAsync(
        string fileName, IReadOnlyList<string> arguments, string? runAs, TimeSpan timeout, CancellationToken cancellationToken)
    {
        OsProcessResult result = await RunAsync(fileName, arguments, runAs, timeout, cancellationToken).ConfigureAwait(false);
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{Path.GetFileName(fileName)} {string.Join(' ', arguments)}' failed with exit code {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}");
        }

        return result;
    }

    private static string Describe(ProcessStartInfo startInfo) =>
        $"{startInfo.FileName} {string.Join(' ', startInfo.ArgumentList)}";
}
