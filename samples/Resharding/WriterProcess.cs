using System.Diagnostics;
using System.Globalization;

namespace Resharding;

/// <summary>
/// The walkthrough's writer (<c>Resharding write</c>) as a process of its own, with its own PlProxyDataSource, map and
/// LISTEN connection: what it acknowledged, what failed, and how long each write took. Used by the resharding tests
/// and the scale run, next to the <c>Resharding.dll</c> they copy.
/// </summary>
public sealed class WriterProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly Task _reading;

    private WriterProcess(Process process)
    {
        _process = process;
        _reading = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (_lines)
                {
                    _lines.Add(line);
                }
            }
        });
    }

    /// <summary>Starts a writer named <paramref name="name"/> on the cluster <paramref name="proxy"/> defines.</summary>
    public static WriterProcess Start(string proxy, string name)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = false, UseShellExecute = false };
        foreach (string argument in (string[])[Path.Combine(AppContext.BaseDirectory, "Resharding.dll"), "write", "--proxy", proxy, "--writer", name])
        {
            start.ArgumentList.Add(argument);
        }

        return new WriterProcess(Process.Start(start)!);
    }

    /// <summary>The writes acknowledged so far.</summary>
    public int Acknowledged
    {
        get
        {
            lock (_lines)
            {
                return _lines.Count(l => l.StartsWith("ack ", StringComparison.Ordinal));
            }
        }
    }

    /// <summary>
    /// Finishes the writes in flight and exits (within 120 s); returns every acknowledged write, every failure, and
    /// whether the writer ended as it should (exit code 0, its summary line last).
    /// </summary>
    public async Task<(List<(string Id, string Key, long Milliseconds, string At)> Acks, List<string> Errors, bool EndedCleanly)> StopAsync(CancellationToken cancellationToken = default)
    {
        await _process.StandardInput.WriteLineAsync();
        await _process.StandardInput.FlushAsync(cancellationToken);
        await _process.WaitForExitAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(120), cancellationToken);
        await _reading.WaitAsync(cancellationToken);
        var acks = new List<(string, string, long, string)>();
        var errors = new List<string>();
        foreach (string line in _lines)
        {
            string[] parts = line.Split(' ', 5);
            if (parts[0] == "ack")
            {
                acks.Add((parts[1], parts[2], long.Parse(parts[3], CultureInfo.InvariantCulture), parts[4]));
            }
            else if (parts[0] == "error")
            {
                errors.Add(line);
            }
        }

        return (acks, errors, _process.ExitCode == 0 && _lines.Count > 0 && _lines[^1].StartsWith("done ", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
