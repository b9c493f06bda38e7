using Npgsql;

namespace PlProxy.Client.Tool.Resharding;

/// <summary>
/// The tool's own tables in a proxy database (schema <c>plproxy_tool</c>), made on first use. PostgreSQL's
/// <c>create ... if not exists</c> is not safe against itself: two sessions making one schema at once both try, and one
/// fails on the catalog's unique index. Operations on different clusters of one proxy database may start together, so
/// the statements run in one transaction holding a lock that makes such sessions take turns.
/// </summary>
internal static class ToolSchema
{
    /// <summary>Runs <paramref name="ddl"/> (statements that make or alter the tool's tables if needed) under the lock.</summary>
    public static Task EnsureAsync(NpgsqlDataSource database, string ddl, CancellationToken cancellationToken) =>
        database.ExecuteAsync($"select pg_advisory_xact_lock(hashtextextended('plproxy_tool.schema', 0));\n{ddl}", cancellationToken);
}
