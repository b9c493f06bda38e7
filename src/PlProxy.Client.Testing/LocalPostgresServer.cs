using Npgsql;

namespace PlProxy.Client.Testing;

/// <summary>
/// A throwaway PostgreSQL server for tests and development: a fresh data directory in the temp folder,
/// trust authentication, a free loopback port and settings tuned for speed over durability. Disposing it
/// stops the server and deletes the data directory.
/// </summary>
/// <remarks>
/// Uses the machine's installed server binaries (see <see cref="PostgresInstallation"/>); no Docker. PostgreSQL
/// refuses to run as root, so when the current user is root the server runs as the <c>postgres</c> OS user,
/// which then owns the data directory.
/// </remarks>
public sealed class LocalPostgresServer : IAsyncDisposable
{
    /// <summary>The superuser every local server is initialised with.</summary>
    public const string Superuser = "postgres";

    private const string DataDirectoryPrefix = "plproxy-pg-";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(120);

    private readonly string _rootDirectory;
    private readonly string? _runAs;
    private readonly SemaphoreSlim _createDatabaseLock = new(1, 1);
    private int _disposed;
    private LocalPostgresOptions _options = new();
    private OrphanReaper? _reaper;

    private LocalPostgresServer(string binDirectory, string rootDirectory, int port, string? runAs)
    {
        BinDirectory = binDirectory;
        _rootDirectory = rootDirectory;
        Port = port;
        _runAs = runAs;
    }

    /// <summary>The loopback address the server listens on.</summary>
    public string Host => "127.0.0.1";

    /// <summary>The TCP port the server listens on.</summary>
    public int Port { get; }

    /// <summary>The directory of the PostgreSQL binaries this server runs.</summary>
    public string BinDirectory { get; }

    /// <summary>The server's data directory (deleted on dispose).</summary>
    public string DataDirectory => Path.Combine(_rootDirectory, "data");

    /// <summary>The server's log file, useful when a test needs to see what the server said.</summary>
    public string LogFile => Path.Combine(_rootDirectory, "server.log");

    /// <summary>
    /// Creates a data directory, starts a server on a free loopback port and waits until it accepts connections.
    /// </summary>
    /// <param name="options">Server settings; defaults when null.</param>
    /// <param name="cancellationToken">Cancels the start-up (the half-started server is cleaned up).</param>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException">The binaries are missing or the server could not start; the message says why.</exception>
    public static async Task<LocalPostgresServer> StartAsync(LocalPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new LocalPostgresOptions();
        string binDirectory = options.BinDirectory is { } configured
            ? PostgresInstallation.EnsureServerBinaries(configured, nameof(LocalPostgresOptions.BinDirectory))
            : PostgresInstallation.FindBinDirectory();
        // Only Unix runs servers as another user here; on Windows PostgreSQL handles an administrator itself.
        string? runAs = Environment.IsPrivilegedProcess && !OperatingSystem.IsWindows() ? options.OsUserWhenRoot : null;

        string root = await CreateRootAsync(runAs, cancellationToken).ConfigureAwait(false);
        try
        {
            await OsProcess.RunCheckedAsync(
                Path.Combine(binDirectory, "initdb"),
                ["-D", Path.Combine(root, "data"), "-A", "trust", "-U", Superuser, "-E", "UTF8", "--locale=C", "--no-sync"],
                runAs, CommandTimeout, cancellationToken).ConfigureAwait(false);
            return await StartOnFreePortAsync(binDirectory, root, runAs, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DeleteDirectory(root);
            throw;
        }
    }

    // A fresh directory for a server's data and log, owned by the OS user the server runs as.
    private static async Task<string> CreateRootAsync(string? runAs, CancellationToken cancellationToken)
    {
        string root = Directory.CreateTempSubdirectory(DataDirectoryPrefix).FullName;
        if (runAs is not null && !OperatingSystem.IsWindows())
        {
            // The server's OS user must own its directory and be able to reach it.
            File.SetUnixFileMode(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            try
            {
                await OsProcess.RunCheckedAsync("chown", [runAs, root], runAs: null, CommandTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                DeleteDirectory(root);
                throw;
            }
        }

        return root;
    }

    // Starts the data directory in root on a port picked free (one can be taken before the server binds it: a few tries).
    private static async Task<LocalPostgresServer> StartOnFreePortAsync(string binDirectory, string root, string? runAs, LocalPostgresOptions options, CancellationToken cancellationToken)
    {
        Exception? lastFailure = null;
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var server = new LocalPostgresServer(binDirectory, root, OsProcess.FreeLoopbackPort(), runAs);
            try
            {
                await server.StartServerAsync(options, cancellationToken).ConfigureAwait(false);
                server._options = options;
                server._reaper = OrphanReaper.Start(server.WatchedProcessId, Path.Combine(server.DataDirectory, "postmaster.pid"), "QUIT", root);
                return server;
            }
            catch (InvalidOperationException e)
            {
                lastFailure = e;
            }
        }

        throw new InvalidOperationException($"The local PostgreSQL server in '{root}' did not start: {lastFailure?.Message}", lastFailure);
    }

    /// <summary>The process whose end stops this server if it was not disposed (and what it serves, such as a <see cref="LocalPgBouncer"/>).</summary>
    internal int WatchedProcessId => _options.WatchedProcessId ?? Environment.ProcessId;

    /// <summary>A connection string for <paramref name="database"/> as the superuser over loopback TCP.</summary>
    /// <param name="database">The database name.</param>
    /// <returns>An Npgsql connection string.</returns>
    public string ConnectionString(string database = "postgres") =>
        new NpgsqlConnectionStringBuilder
        {
            Host = Host,
            Port = Port,
            Username = Superuser,
            Database = database,
        }.ConnectionString;

    /// <summary>
    /// Creates a database from <c>template0</c> with the C locale. Calls are serialised, since PostgreSQL refuses
    /// concurrent copies of one template.
    /// </summary>
    /// <param name="name">The database name; it is quoted as an identifier.</param>
    /// <param name="encoding">The server encoding: <c>UTF8</c> (the default) or another PostgreSQL encoding name.</param>
    /// <param name="cancellationToken">Cancels the creation.</param>
    /// <returns>The connection string of the new database.</returns>
    public async Task<string> CreateDatabaseAsync(string name, string encoding = "UTF8", CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(encoding);
        ObjectDisposedException.ThrowIf(_disposed != 0, this);

        await _createDatabaseLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ExecuteAsync("postgres", $"CREATE DATABASE {QuoteIdentifier(name)} TEMPLATE template0 ENCODING '{encoding.Replace("'", "''", StringComparison.Ordinal)}' LOCALE 'C'", cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            _createDatabaseLock.Release();
        }

        return ConnectionString(name);
    }

    /// <summary>Runs SQL (one or more statements) in <paramref name="database"/> as the superuser.</summary>
    /// <param name="database">The database name.</param>
    /// <param name="sql">The SQL text.</param>
    /// <param name="cancellationToken">Cancels the command.</param>
    /// <returns>A task that completes when the SQL has run.</returns>
    public async Task ExecuteAsync(string database, string sql, CancellationToken cancellationToken = default)
    {
        // No pooling: a pooled idle connection would keep a database busy and block DROP DATABASE in tests.
        var builder = new NpgsqlConnectionStringBuilder(ConnectionString(database)) { Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stops the server at once (immediate shutdown, like a crash of the server's processes), keeping its data and every
    /// commit it acknowledged, for failure tests.
    /// </summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the server is down.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await OsProcess.RunCheckedAsync(
            Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"],
            _runAs, CommandTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Starts a server stopped by <see cref="StopAsync"/> again, on the same port with the same data.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>A task that completes when the server accepts connections.</returns>
    public Task RestartAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        return StartServerAsync(_options, cancellationToken);
    }

    /// <summary>
    /// Starts a streaming-replication standby of this server: a base backup taken with <c>pg_basebackup -R</c> (WAL
    /// streamed along, the connection to this server written for recovery) into a fresh data directory, started on a
    /// free loopback port. Its databases are this server's, read-only, replayed as they change; a partition string
    /// naming both hosts (<c>Host=127.0.0.1:5432,127.0.0.1:5433</c>) makes a replicated partition.
    /// </summary>
    /// <param name="options">The standby's settings (for example <c>recovery_min_apply_delay</c>); this server's when null.</param>
    /// <param name="cancellationToken">Cancels the start-up (the half-made standby is cleaned up).</param>
    /// <returns>The running standby; disposing it stops it and deletes its data directory.</returns>
    /// <exception cref="InvalidOperationException">The backup or the start failed; the message says why.</exception>
    public async Task<LocalPostgresServer> StartStandbyAsync(LocalPostgresOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        options ??= _options;
        string root = await CreateRootAsync(_runAs, cancellationToken).ConfigureAwait(false);
        try
        {
            await OsProcess.RunCheckedAsync(
                Path.Combine(BinDirectory, "pg_basebackup"),
                ["-h", Host, "-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "-U", Superuser, "-D", Path.Combine(root, "data"), "-R", "-X", "stream", "--no-sync", "-c", "fast"],
                _runAs, CommandTimeout, cancellationToken).ConfigureAwait(false);
            return await StartOnFreePortAsync(BinDirectory, root, _runAs, options, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            DeleteDirectory(root);
            throw;
        }
    }

    /// <summary>Promotes a standby (<c>pg_ctl promote</c>) and waits until it takes writes, as a failover does.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when the server is a primary.</returns>
    public async Task PromoteAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed != 0, this);
        await OsProcess.RunCheckedAsync(
            Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-w", "promote"],
            _runAs, CommandTimeout, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the server (immediate shutdown) and deletes its data directory.</summary>
    /// <returns>A task that completes when the server is gone.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            NpgsqlConnection.ClearAllPools();
            await OsProcess.RunAsync(
                Path.Combine(BinDirectory, "pg_ctl"), ["-D", DataDirectory, "-m", "immediate", "-w", "stop"],
                _runAs, CommandTimeout, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            DeleteDirectory(_rootDirectory);
            _reaper?.Dispose();
            _createDatabaseLock.Dispose();
        }
    }

    private async Task StartServerAsync(LocalPostgresOptions options, CancellationToken cancellationToken)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["listen_addresses"] = Host,
            ["port"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["unix_socket_directories"] = _rootDirectory,
            ["fsync"] = "off",
            // On: with fsync off a commit's flush is one write to the OS, and a server stopped like a crash (StopAsync)
            // keeps every commit it acknowledged, as a real server does; off, it would lose the last few hundred milliseconds.
            ["synchronous_commit"] = "on",
            ["full_page_writes"] = "off",
            ["max_connections"] = options.MaxConnections.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["shared_buffers"] = "32MB",
            ["max_wal_size"] = "1GB",
            ["log_min_messages"] = "warning",
        };
        foreach ((string key, string value) in options.Settings)
        {
            settings[key] = value;
        }

        string serverOptions = string.Join(' ', settings.Select(s => $"-c {s.Key}={QuoteOption(s.Value)}"));
        OsProcessResult result = await OsProcess.RunAsync(
            Path.Combine(BinDirectory, "pg_ctl"),
            ["-D", DataDirectory, "-l", LogFile, "-o", serverOptions, "-w", "-t", "60", "start"],
            _runAs, CommandTimeout, cancellationToken).ConfigureAwait(false);

        if (result.ExitCode != 0)
        {
            string log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile, cancellationToken).ConfigureAwait(false) : "";
            throw new InvalidOperationException($"pg_ctl start failed ({result.ExitCode}): {result.StandardError.Trim()} {LastLines(log, 10)}");
        }
    }

    internal static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    // pg_ctl passes -o through a shell: single-quote each value.
    private static string QuoteOption(string value) => "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string LastLines(string text, int count) =>
        string.Join(Environment.NewLine, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(count));

    private static void DeleteDirectory(string path)
    {
        try
        {
            Directory.Delete(path, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
