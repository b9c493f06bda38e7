using System.Runtime.CompilerServices;
using Npgsql;

namespace PlProxy.Client.Connections;

/// <summary>
/// What messages, telemetry and the connection budget need to know about a data source — its database and its host —
/// read from its connection string once per data source (never the password).
/// </summary>
internal static class DatabaseName
{
    private sealed record Names(string Database, string Host, string? ServerAddress, int ServerPort);

    private static readonly ConditionalWeakTable<NpgsqlDataSource, Names> Cache = new();

    /// <summary>The database name (or, failing that, the user or host).</summary>
    public static string Of(NpgsqlDataSource dataSource) => Read(dataSource).Database;

    /// <summary>The host and port, <c>host:port</c>.</summary>
    public static string HostOf(NpgsqlDataSource dataSource) => Read(dataSource).Host;

    /// <summary>The server's address and port, as OpenTelemetry's <c>server.address</c> and <c>server.port</c> give them.</summary>
    public static (string? Address, int Port) ServerOf(NpgsqlDataSource dataSource)
    {
        Names names = Read(dataSource);
        return (names.ServerAddress, names.ServerPort);
    }

    /// <summary>
    /// Where a connection string points, <c>host:port/database</c> (never the user or password): how the tool names a
    /// database in its output, and how it tells whether two connection strings reach the same database.
    /// </summary>
    public static string AddressOf(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    private static Names Read(NpgsqlDataSource dataSource) =>
        Cache.GetValue(dataSource, static source =>
        {
            var builder = new NpgsqlConnectionStringBuilder(source.ConnectionString);
            return new Names(builder.Database ?? builder.Username ?? builder.Host ?? "?", $"{builder.Host}:{builder.Port}", builder.Host, builder.Port);
        });
}
