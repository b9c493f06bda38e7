using System.Runtime.CompilerServices;
using Npgsql;

namespace PlProxy.Client.Execution;

/// <summary>The database a data source connects to, for messages and telemetry (never the password); read once per data source.</summary>
internal static class DatabaseName
{
    private static readonly ConditionalWeakTable<NpgsqlDataSource, string> Names = new();

    public static string Of(NpgsqlDataSource dataSource) =>
        Names.GetValue(dataSource, static source =>
        {
            var builder = new NpgsqlConnectionStringBuilder(source.ConnectionString);
            return builder.Database ?? builder.Username ?? builder.Host ?? "?";
        });
}
