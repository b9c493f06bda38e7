using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// How the tool opens the databases it is given: as psql does, with no command timeout. A verify that counts a large
/// table, a cleanup that looks for the rows a database no longer owns, the keys a busy source wrote while it copied:
/// each takes what it takes (Npgsql's default of 30 s would fail them on a large cluster); Ctrl+C stops the tool, and a
/// wait that needs a bound has its own (<c>--fence-timeout</c>). With no time limit, a server whose host vanished in
/// the middle of a statement is noticed by TCP keepalives (after 30 s of silence, then every 10 s) rather than never.
/// A connection string that sets <c>Command Timeout</c> or TCP keepalives keeps its own.
/// </summary>
internal static class ToolDatabase
{
    /// <summary>After how many seconds of silence a connection asks whether the server's host is still there, unless the string says.</summary>
    public const int KeepAliveSeconds = 30;

    /// <summary>How often it asks again while no answer comes.</summary>
    public const int KeepAliveIntervalSeconds = 10;

    /// <summary>A data source for <paramref name="connectionString"/> (Npgsql's form) with the tool's settings.</summary>
    public static NpgsqlDataSource Create(string connectionString) => NpgsqlDataSource.Create(Configure(new NpgsqlConnectionStringBuilder(connectionString)));

    /// <summary><paramref name="builder"/> without a command timeout and with TCP keepalives, unless its connection string sets them.</summary>
    public static NpgsqlConnectionStringBuilder Configure(NpgsqlConnectionStringBuilder builder)
    {
        HashSet<string> given = ConnectionStrings.GivenKeywords(builder);
        if (!given.Contains("CommandTimeout"))
        {
            builder.CommandTimeout = 0;
        }

        if (!given.Contains("TcpKeepAlive") && !given.Contains("TcpKeepAliveTime") && !given.Contains("TcpKeepAliveInterval"))
        {
            builder.TcpKeepAlive = true;
            builder.TcpKeepAliveTime = KeepAliveSeconds;
            builder.TcpKeepAliveInterval = KeepAliveIntervalSeconds;
        }

        return builder;
    }
}
