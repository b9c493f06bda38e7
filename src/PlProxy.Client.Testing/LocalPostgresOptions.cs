namespace PlProxy.Client.Testing;

/// <summary>Settings for a <see cref="LocalPostgresServer"/>.</summary>
public sealed class LocalPostgresOptions
{
    /// <summary>The bin directory of the PostgreSQL binaries; null finds them (see <see cref="PostgresInstallation.FindBinDirectory"/>).</summary>
    public string? BinDirectory { get; set; }

    /// <summary>The OS user that runs the server when the current process is root. Default: <c>postgres</c>.</summary>
    public string OsUserWhenRoot { get; set; } = "postgres";

    /// <summary>The server's <c>max_connections</c>. Default: 200.</summary>
    public int MaxConnections { get; set; } = 200;

    /// <summary>
    /// The process whose end stops the server and deletes its files when it was not disposed: this one, or in the
    /// tests of that rule a stand-in.
    /// </summary>
    internal int? WatchedProcessId { get; set; }

    /// <summary>Further server settings (<c>postgresql.conf</c> names and values), applied last.</summary>
    public IDictionary<string, string> Settings { get; } = new Dictionary<string, string>(StringComparer.Ordinal);
}
