using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace PlProxy.Client.Testing;

/// <summary>
/// A throwaway pgBouncer on a loopback port in front of a <see cref="LocalPostgresServer"/>, for tests of pooled
/// partitions. Uses the machine's pgbouncer (Debian package <c>pgbouncer</c>); runs it as the <c>postgres</c> OS user
/// when the current user is root. Disposing it stops it and deletes its files.
/// </summary>
public sealed class LocalPgBouncer : IAsyncDisposable
{
    private readonly Process _process;
    private OrphanReaper? _reaper;
    private readonly string _directory;

    private LocalPgBouncer(Process process, string directory, int port, PgBouncerPoolMode mode)
    {
        _process = process;
        _directory = directory;
        Port = port;
        PoolMode = mode;
    }

    /// <summary>The loopback port pgBouncer listens on.</summary>
    public int Port { get; }

    /// <summary>The pooling mode.</summary>
    public PgBouncerPoolMode PoolMode { get; }

    /// <summary>Its configuration, log and pid file (deleted on dispose).</summary>
    internal string FilesDirectory => _directory;

    /// <summary>Starts pgBouncer in front of <paramref name="server"/> (every database, trust authentication) and waits until it accepts connections.</summary>
    /// <param name="server">The server to pool connections to.</param>
    /// <param name="mode">The pooling mode.</param>
    /// <param name="cancellationToken">Cancels the start-up.</param>
    /// <returns>The running pgBouncer.</returns>
    /// <exception cref="InvalidOperationException">pgbouncer is not installed or did not start; the message says why.</exception>
    public static async Task<LocalPgBouncer> StartAsync(LocalPostgresServer server, PgBouncerPoolMode mode, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        string executable = new[] { "/usr/sbin/pgbouncer", "/usr/bin/pgbouncer" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("pgbouncer is not installed. Install it with 'apt-get install -y pgbouncer' (Debian/Ubuntu).");
        string? runAs = Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows() ? "postgres" : null;
        string directory = Directory.CreateTempSubdirectory("plproxy-pgbouncer-").FullName;
        int port = OsProcess.FreeLoopbackPort();
        LocalPgBouncer? bouncer = null;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(directory, "userlist.txt"), $"\"{LocalPostgresServer.Superuser}\" \"\"\n", cancellationToken).ConfigureAwait(false);
            await File.WriteAllTextAsync(Path.Combine(directory, "pgbouncer.ini"), string.Create(CultureInfo.InvariantCulture, $"""
                [databases]
                * = host={server.Host} port={server.Port}

                [pgbouncer]
                listen_addr = 127.0.0.1
                listen_port = {port}
                unix_socket_dir =
                auth_type = trust
                auth_file = {Path.Combine(directory, "userlist.txt")}
                pool_mode = {mode.ToString().ToLowerInvariant()}
                max_client_conn = 500
                default_pool_size = 20
                ignore_startup_parameters = extra_float_digits,search_path
                admin_users = {LocalPostgresServer.Superuser}
                logfile = {Path.Combine(directory, "pgbouncer.log")}
                pidfile = {Path.Combine(directory, "pgbouncer.pid")}
                """), cancellationToken).ConfigureAwait(false);
            if (runAs is not null && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
                await OsProcess.RunCheckedAsync("chown", ["-R", runAs, directory], null, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
            }

            ProcessStartInfo startInfo = OsProcess.StartInfo(executable, [Path.Combine(directory, "pgbouncer.ini")], runAs);
            bouncer = new LocalPgBouncer(Process.Start(startInfo)!, directory, port, mode);
            if (!await bouncer.WaitUntilListeningAsync(TimeSpan.FromSeconds(15), cancellationToken).ConfigureAwait(false))
            {
                string log = File.Exists(Path.Combine(directory, "pgbouncer.log")) ? await File.ReadAllTextAsync(Path.Combine(directory, "pgbouncer.log"), CancellationToken.None).ConfigureAwait(false) : "";
                throw new InvalidOperationException($"pgbouncer did not start on port {port}: {log}");
            }

            bouncer._reaper = OrphanReaper.Start(server.WatchedProcessId, Path.Combine(directory, "pgbouncer.pid"), "TERM", directory);
            return bouncer;
        }
        catch
        {
            // Whatever failed (or a cancellation), nothing stays: a pgbouncer already started is stopped with its files.
            if (bouncer is not null)
            {
                await bouncer.DisposeAsync().ConfigureAwait(false);
            }
            else if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            throw;
        }
    }

    /// <summary>A connection string for <paramref name="database"/> through pgBouncer.</summary>
    /// <param name="database">The database name.</param>
    /// <returns>An Npgsql connection string.</returns>
    public string ConnectionString(string database) =>
        $"Host=127.0.0.1;Port={Port.ToString(CultureInfo.InvariantCulture)};Username={LocalPostgresServer.Superuser};Database={database}";

    /// <summary>Stops pgBouncer and deletes its files.</summary>
    /// <returns>A task that completes when it has stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (InvalidOperationException)
        {
        }

        // runuser may leave its child; the pid file names it. Only a process still running this pgBouncer's
        // configuration is stopped: one killed with the tree above is gone (or a zombie, whose command line is empty),
        // and waiting on a process that is not this one's child costs seconds; a pid taken since by another process is
        // not this pgBouncer.
        string pidFile = Path.Combine(_directory, "pgbouncer.pid");
        if (File.Exists(pidFile) && int.TryParse(File.ReadAllText(pidFile).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && RunsThisConfiguration(pid))
        {
            try
            {
                using Process child = Process.GetProcessById(pid);
                child.Kill();
            }
            catch (ArgumentException)
            {
            }

            // Not this process's child: its end is seen in /proc (Process would poll it for seconds).
            var waited = Stopwatch.StartNew();
            while (RunsThisConfiguration(pid) && waited.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(10).ConfigureAwait(false);
            }
        }

        _process.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        _reaper?.Dispose();
    }

    private bool RunsThisConfiguration(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/cmdline").Contains(_directory, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false; // no such process
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }

    private async Task<bool> WaitUntilListeningAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < timeout)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Port, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (SocketException)
            {
                if (_process.HasExited)
                {
                    return false;
                }

                await Task.Delay(100, cancellationToken).ConfigureAwait(false);
            }
        }

        return false;
    }
}
