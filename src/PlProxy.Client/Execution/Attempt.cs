using Npgsql;
using PlProxy.Client.Connections;

namespace PlProxy.Client.Execution;

/// <summary>
/// What one attempt at a database needs: its pool and gate, the route, its arguments, the cursor its rows go to, how
/// its rows are read when it shares a round trip (null: it needs a connection of its own), and how long it may queue.
/// </summary>
internal readonly record struct Attempt(NpgsqlDataSource DataSource, Route Route, object?[] Arguments, PartitionCursor Cursor, PartitionGate? Gate = null, RowReader? SharedRows = null, TimeSpan QueueTimeout = default)
{
    /// <summary>True when the call's time on a connection of its own is measured: a call under a cap whose rows are read whole (not a stream).</summary>
    public bool Measured { get; init; }

    /// <summary>True when the call may share a round trip and its method is quick: it waits for a sharing round trip in flight rather than start another.</summary>
    public bool Quick { get; init; }

    /// <summary>The replicated partition whose primary this attempt goes to: a failure that may be a failover makes its monitor check at once.</summary>
    public PartitionReplicas? Replicas { get; init; }
}
