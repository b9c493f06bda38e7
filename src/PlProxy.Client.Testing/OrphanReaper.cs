using System.Diagnostics;
using System.Globalization;

namespace PlProxy.Client.Testing;

/// <summary>
/// Stops a server the test process started when that process ends without disposing it (killed by a CI time limit,
/// stopped in a debugger, Ctrl+C): servers run detached from it (<c>pg_ctl</c> starts the postmaster in a session of
/// its own), so nothing else would. A shell in a session of its own — outside the process group a Ctrl+C or a group
/// kill reaches — waits for the process to go, then signals the process its pid file names and deletes the server's
/// directory. Disposing the reaper (the server was disposed, as it should be) ends the watch.
/// </summary>
internal sealed class OrphanReaper : IDisposable
{
    // $1 the watched process, $2 the server's pid file, $3 the signal that stops it at once, $4 its directory.
    private const string Script = """
        exec </dev/null >/dev/null 2>&1
        while kill -0 "$1"; do sleep 1; done
        if [ -f "$2" ]; then pid=$(head -n 1 "$2"); [ -n "$pid" ] && kill -"$3" "$pid"; fi
        i=0
        while [ -f "$2" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        rm -rf "$4"
        """;

    private readonly Process? _watch;

    private OrphanReaper(Process? watch) => _watch = watch;

    /// <summary>Watches <paramref name="processId"/>; when it ends, stops the server <paramref name="pidFile"/> names with <paramref name="signal"/> and deletes <paramref name="directory"/>.</summary>
    public static OrphanReaper Start(int processId, string pidFile, string signal, string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return new OrphanReaper(null);
        }

        string? setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        var startInfo = new ProcessStartInfo(setsid ?? "/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (setsid is not null)
        {
            startInfo.ArgumentList.Add("/bin/sh");
        }

        foreach (string argument in (string[])["-c", Script, "plproxy-orphan-reaper", processId.ToString(CultureInfo.InvariantCulture), pidFile, signal, directory])
        {
            startInfo.ArgumentList.Add(argument);
        }

        return new OrphanReaper(Process.Start(startInfo));
    }

    /// <summary>Ends the watch: the server was disposed.</summary>
    public void Dispose()
    {
        try
        {
            if (_watch is { HasExited: false })
            {
                _watch.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _watch?.Dispose();
    }
}
