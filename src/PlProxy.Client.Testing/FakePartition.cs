namespace PlProxy.Client.Testing;

/// <summary>A partition of a <see cref="FakeCluster"/>: the functions it answers, by name.</summary>
public sealed class FakePartition
{
    private readonly Dictionary<string, Func<FakeCall, FakeRows>> _handlers = new(StringComparer.OrdinalIgnoreCase);

    internal FakePartition(FakeCluster cluster, int index)
    {
        Cluster = cluster;
        Index = index;
    }

    /// <summary>The cluster.</summary>
    public FakeCluster Cluster { get; }

    /// <summary>The partition index.</summary>
    public int Index { get; }

    /// <summary>Answers calls of <paramref name="function"/> on this partition (replacing a cluster-wide handler).</summary>
    /// <param name="function">The remote function name.</param>
    /// <param name="handler">Returns the rows, or throws (a <see cref="PlProxyException"/> with a SQLSTATE, or a <c>PostgresException</c>, to act as a remote error: the call fails as on a real partition, with its cluster, function, partition and database).</param>
    /// <returns>This partition.</returns>
    public FakePartition On(string function, Func<FakeCall, FakeRows> handler)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(function);
        ArgumentNullException.ThrowIfNull(handler);
        lock (_handlers)
        {
            _handlers[function] = handler;
        }

        return this;
    }

    internal Func<FakeCall, FakeRows>? Handler(string function)
    {
        lock (_handlers)
        {
            return _handlers.GetValueOrDefault(function);
        }
    }
}
