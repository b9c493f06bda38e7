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
        var startInfo = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };

        if (runAs is null)
        {
            startInfo.FileName = fileName;
        }
        else
        {
            startInfo.FileName = "runuser";
            startInfo.ArgumentList.Add("-u");
            startInfo.ArgumentList.Add(runAs);
            startInfo.ArgumentList.Add("--");
            startInfo.ArgumentList.Add(fileName);
        }

        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

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
