using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Tool.Verbs;

/// <summary>
/// How the tool opens the databases it is given: as psql does, with no command timeout. A verify that counts a large
/// table, a cleanup that looks for the rows a database no longer owns, the keys a busy source wrote while it copied:
/// each takes what it takes (Npgsql's default of 30 s would fail them on a large cluster); Ctrl+C stops the tool, and a
/// wait that needs a bound has its own (<c>--fence-timeout</c>). A connection string that sets <c>Command Timeout</c> keeps it.
/// </summary>
internal static class ToolDatabase
{
    /// <summary>A data source for <paramref name="connectionString"/> (Npgsql's form) without a command timeout, unless it sets one.</summary>
    public static NpgsqlDataSource Create(string connectionString) => NpgsqlDataSource.Create(Untimed(new NpgsqlConnectionStringBuilder(connectionString)));

    /// <summary><paramref name="builder"/> without a command timeout, unless its connection string sets one.</summary>
    public static NpgsqlConnectionStringBuilder Untimed(NpgsqlConnectionStringBuilder builder)
    {
        if (!ConnectionStrings.GivenKeywords(builder).Contains("CommandTimeout"))
        {
            builder.CommandTimeout = 0;
        }

        return builder;
    }
}
