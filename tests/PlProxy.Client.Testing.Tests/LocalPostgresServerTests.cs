using Npgsql;

namespace PlProxy.Client.Testing.Tests;

public sealed class LocalPostgresServerTests
{
    [Fact]
    public async Task StartAsync_StartsAUtf8ServerOnLoopback()
    {
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        string connectionString = await server.CreateDatabaseAsync("part0", cancellationToken: TestContext.Current.CancellationToken);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand("select current_database() || ' ' || pg_encoding_to_char(encoding) || ' ' || inet_server_addr() || ' ' || current_setting('server_version_num')::int / 10000 from pg_database where datname = current_database()", connection);

        Assert.Equal($"part0 UTF8 127.0.0.1/32 {PostgresInstallation.PreferredMajorVersion}", await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task StartStandbyAsync_ReplaysThePrimaryReadOnlyAndPromoteAsyncMakesItTakeWrites()
    {
        CancellationToken token = TestContext.Current.CancellationToken;
        await using LocalPostgresServer primary = await LocalPostgresServer.StartAsync(cancellationToken: token);
        await primary.CreateDatabaseAsync("part0", cancellationToken: token);
        await primary.ExecuteAsync("part0", "create table t (n int)", token);
        await using LocalPostgresServer standby = await primary.StartStandbyAsync(cancellationToken: token);
        await primary.ExecuteAsync("part0", "insert into t values (42)", token);

        await using var reads = NpgsqlDataSource.Create(standby.ConnectionString("part0"));
        object? seen = null;
        for (int i = 0; i < 200 && seen is null; i++)
        {
            await using NpgsqlCommand select = reads.CreateCommand("select n from t where pg_is_in_recovery()");
            seen = await select.ExecuteScalarAsync(token);
            await Task.Delay(seen is null ? 25 : 0, token);
        }

        PostgresException refused = await Assert.ThrowsAsync<PostgresException>(() => standby.ExecuteAsync("part0", "insert into t values (1)", token));
        await standby.PromoteAsync(token);
        await standby.ExecuteAsync("part0", "insert into t values (43)", token);

        Assert.Equal(42, seen);
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, refused.SqlState);
        Assert.NotEqual(primary.Port, standby.Port);
    }

    [Fact]
    public async Task DisposeAsync_StopsTheServerAndDeletesItsDataDirectory()
    {
        LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: TestContext.Current.CancellationToken);
        string dataDirectory = server.DataDirectory;
        string connectionString = server.ConnectionString();

        await server.DisposeAsync();

        Assert.False(Directory.Exists(dataDirectory));
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false;Timeout=3");
        await Assert.ThrowsAsync<NpgsqlException>(() => connection.OpenAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task ServersOfAProcessThatEndsWithoutDisposingThem_StopAndLeaveNoFiles()
    {
        // A CI time limit, a debugger or Ctrl+C ends a test process before it disposes its servers; the postmaster runs
        // in a session of its own, so it would outlive it. A stand-in process plays the test process here, and dies.
        CancellationToken token = TestContext.Current.CancellationToken;
        using var standIn = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("sleep", "600") { UseShellExecute = false })!;
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(new LocalPostgresOptions { WatchedProcessId = standIn.Id }, token);
        await using LocalPgBouncer bouncer = await LocalPgBouncer.StartAsync(server, PgBouncerPoolMode.Session, token);
        string serverFiles = Path.GetDirectoryName(server.DataDirectory)!;
        string bouncerFiles = bouncer.FilesDirectory;
        await using (var before = new NpgsqlConnection(bouncer.ConnectionString("postgres") + ";Pooling=false"))
        {
            await before.OpenAsync(token); // both serve while their process lives
        }

        standIn.Kill();
        await standIn.WaitForExitAsync(token);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while ((Directory.Exists(serverFiles) || Directory.Exists(bouncerFiles)) && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(200, token);
        }

        Assert.False(Directory.Exists(serverFiles), "the server's data directory is still there 30 s after its process ended");
        Assert.False(Directory.Exists(bouncerFiles), "pgBouncer's directory is still there 30 s after its process ended");
        await using var server1 = new NpgsqlConnection(server.ConnectionString() + ";Pooling=false;Timeout=3");
        await Assert.ThrowsAsync<NpgsqlException>(() => server1.OpenAsync(token));
        await using var bouncer1 = new NpgsqlConnection(bouncer.ConnectionString("postgres") + ";Pooling=false;Timeout=3");
        await Assert.ThrowsAsync<NpgsqlException>(() => bouncer1.OpenAsync(token));
    }

    [Fact]
    public async Task PgBouncerStart_CancelledAtAnyMoment_LeavesNoProcessAndNoFiles()
    {
        // A test's time limit can cancel a start anywhere: before pgBouncer runs, while it comes up, once it listens.
        CancellationToken token = TestContext.Current.CancellationToken;
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(cancellationToken: token);
        HashSet<string> before = [.. BouncerDirectories()];
        int cancelled = 0;
        for (int delay = 0; delay <= 150; delay += 10)
        {
            using var cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            cancel.CancelAfter(delay);
            try
            {
                await using LocalPgBouncer started = await LocalPgBouncer.StartAsync(server, PgBouncerPoolMode.Transaction, cancel.Token);
            }
            catch (OperationCanceledException) when (!token.IsCancellationRequested)
            {
                cancelled++;
            }
        }

        Assert.True(cancelled > 0, "no start was cancelled: the delays missed the start-up");
        Assert.DoesNotContain(BouncerDirectories(), d => !before.Contains(d));
        Assert.Empty(OrphanedBouncers());
    }

    // pgBouncer's directories in the temporary directory.
    private static string[] BouncerDirectories() => Directory.GetDirectories(Path.GetTempPath(), "plproxy-pgbouncer-*");

    // Running pgbouncer processes whose configuration file is gone: started by a LocalPgBouncer that no one stops.
    private static List<int> OrphanedBouncers()
    {
        var orphans = new List<int>();
        foreach (string process in Directory.GetDirectories("/proc"))
        {
            string[] arguments;
            try
            {
                arguments = File.ReadAllText(Path.Combine(process, "cmdline")).Split('\0', StringSplitOptions.RemoveEmptyEntries);
            }
            catch (IOException)
            {
                continue; // ended meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (arguments is [var program, var ini, ..] && Path.GetFileName(program) == "pgbouncer" && ini.Contains("plproxy-pgbouncer-", StringComparison.Ordinal) && !File.Exists(ini))
            {
                orphans.Add(int.Parse(Path.GetFileName(process), System.Globalization.CultureInfo.InvariantCulture));
            }
        }

        return orphans;
    }

    [Fact]
    public async Task StartAsync_WithoutServerBinaries_FailsWithInstallHint()
    {
        string empty = Directory.CreateTempSubdirectory("plproxy-empty-bin-").FullName;
        try
        {
            var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                LocalPostgresServer.StartAsync(new LocalPostgresOptions { BinDirectory = empty }, TestContext.Current.CancellationToken));

            Assert.Contains("apt-get install -y postgresql-15", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(empty);
        }
    }

    [Fact]
    public async Task StartAsync_AppliesExtraSettings()
    {
        var options = new LocalPostgresOptions { MaxConnections = 7 };
        options.Settings["work_mem"] = "5MB";
        await using LocalPostgresServer server = await LocalPostgresServer.StartAsync(options, TestContext.Current.CancellationToken);

        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString());
        await using var command = dataSource.CreateCommand("select current_setting('max_connections') || '/' || current_setting('fsync') || '/' || current_setting('work_mem')");

        Assert.Equal("7/off/5MB", await command.ExecuteScalarAsync(TestContext.Current.CancellationToken));
    }
}
