namespace PlProxy.Client.Planning;

/// <summary>One database a call runs on.</summary>
/// <param name="Connection">The connection (distinct connection string) in the cluster layout.</param>
/// <param name="Partition">The first partition that chose this connection (for messages and telemetry).</param>
/// <param name="Rows">For SPLIT: the element indexes this connection receives, in order; null when the arguments go whole.</param>
internal sealed record PlanTarget(int Connection, int Partition, int[]? Rows);

/// <summary>
/// Where a call runs: no database (a SPLIT of empty arrays), one, or several in the order PL/Proxy would collect
/// their results (the order each was first chosen; partition order for RUN ON ALL). The single-database case
/// is held inline, so planning it allocates nothing.
/// </summary>
internal readonly struct ExecutionPlan
{
    private readonly PlanTarget[]? _targets;
    private readonly int _connection;
    private readonly int _partition;

    private ExecutionPlan(PlanTarget[]? targets, int connection, int partition)
    {
        _targets = targets;
        _connection = connection;
        _partition = partition;
    }

    /// <summary>A plan for one database with the arguments whole.</summary>
    public static ExecutionPlan Single(int connection, int partition) => new(null, connection, partition);

    /// <summary>A plan for several databases (or none).</summary>
    public static ExecutionPlan Multiple(PlanTarget[] targets) => new(targets, -1, -1);

    /// <summary>How many databases the call runs on.</summary>
    public int Count => _targets?.Length ?? 1;

    /// <summary>True for the single-database plan.</summary>
    public bool IsSingle => _targets is null;

    /// <summary>The connection of the single-database plan.</summary>
    public int SingleConnection => _connection;

    /// <summary>The partition of the single-database plan.</summary>
    public int SinglePartition => _partition;

    /// <summary>Target <paramref name="index"/> (allocates for the single-database plan; use <see cref="SingleConnection"/> there).</summary>
    public PlanTarget this[int index] => _targets is null ? new PlanTarget(_connection, _partition, null) : _targets[index];
}
