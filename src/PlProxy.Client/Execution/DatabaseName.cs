using Npgsql;

namespace PlProxy.Client.Execution;

/// <summary>The database a data source connects to, for messages (never the password).</summary>
internal static class DatabaseName
{
    public static string Of(NpgsqlDataSource dataSource)
    {
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        return builder.Database ?? builder.Username ?? builder.Host ?? "?";
    }
}
