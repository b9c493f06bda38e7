using Npgsql;

namespace PlProxy.Client.Execution;

/// <summary>What one attempt at a database needs: its pool, the route, its arguments and the cursor its rows go to.</summary>
internal readonly record struct Attempt(NpgsqlDataSource DataSource, Route Route, object?[] Arguments, PartitionCursor Cursor);
