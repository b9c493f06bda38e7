namespace PlProxy.Client.Testing;

/// <summary>Finds the PostgreSQL server binaries installed on this machine.</summary>
public static class PostgresInstallation
{
    /// <summary>The major version looked for first: the one PlProxy.Client is tested against.</summary>
    public const int PreferredMajorVersion = 15;

    /// <summary>The environment variable that names a bin directory explicitly, overriding the search.</summary>
    public const string BinDirectoryVariable = "PLPROXY_PG_BINDIR";

    /// <summary>
    /// The directory holding <c>initdb</c>, <c>pg_ctl</c> and <c>postgres</c>: <see cref="BinDirectoryVariable"/> if set,
    /// else <c>/usr/lib/postgresql/15/bin</c>, else the newest <c>/usr/lib/postgresql/*/bin</c>, else the
    /// directory <c>pg_config --bindir</c> prints.
    /// </summary>
    /// <returns>The bin directory.</returns>
    /// <exception cref="InvalidOperationException">No server binaries are installed; the message says how to install them.</exception>
    public static string FindBinDirectory()
    {
        string? explicitDirectory = Environment.GetEnvironmentVariable(BinDirectoryVariable);
        if (!string.IsNullOrEmpty(explicitDirectory))
        {
            return EnsureServerBinaries(explicitDirectory, BinDirectoryVariable);
        }

        var candidates = new List<string> { $"/usr/lib/postgresql/{PreferredMajorVersion}/bin" };
        if (Directory.Exists("/usr/lib/postgresql"))
        {
            candidates.AddRange(Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => (Directory: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out int v) ? v : 0))
                .OrderByDescending(c => c.Version)
                .Select(c => c.Directory));
        }

        string? fromPgConfig = PgConfigBinDirectory();
        if (fromPgConfig is not null)
        {
            candidates.Add(fromPgConfig);
        }

        return candidates.FirstOrDefault(HasServerBinaries)
            ?? throw new InvalidOperationException($"No PostgreSQL server binaries (initdb, pg_ctl, postgres) were found. {InstallHint}");
    }

    /// <summary>Checks that <paramref name="directory"/> holds the server binaries.</summary>
    /// <exception cref="InvalidOperationException">It does not; the message names it and says how to install them.</exception>
    internal static string EnsureServerBinaries(string directory, string source) =>
        HasServerBinaries(directory)
            ? directory
            : throw new InvalidOperationException(
                $"The PostgreSQL bin directory '{directory}' (from {source}) has no initdb, pg_ctl and postgres. {InstallHint}");

    internal const string InstallHint =
        "Install them with 'apt-get install -y postgresql-15' (Debian/Ubuntu; postgresql-15-plproxy and pgbouncer for the full test suite), " +
        $"or set {BinDirectoryVariable} to a directory that holds them.";

    private static bool HasServerBinaries(string directory) =>
        File.Exists(Path.Combine(directory, "initdb"))
        && File.Exists(Path.Combine(directory, "pg_ctl"))
        && File.Exists(Path.Combine(directory, "postgres"));

    private static string? PgConfigBinDirectory()
    {
        try
        {
            OsProcessResult result = OsProcess.RunAsync("pg_config", ["--bindir"], runAs: null, TimeSpan.FromSeconds(10), CancellationToken.None)
                .GetAwaiter().GetResult();
            return result.ExitCode == 0 ? result.StandardOutput.Trim() : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // pg_config is not on PATH.
        }
    }
}
