using System.Data;
using PlProxy.Client.Execution;

namespace PlProxy.Client.Testing;

/// <summary>
/// A cluster of in-memory partitions for unit tests: the generated proxies, the binder and the planner run for real
/// (so a test can assert that <c>user42</c> lands on partition 3, or that RUN ON ALL visits every partition), and each
/// partition answers from handlers. Every call is recorded in <see cref="Calls"/>; a function without a handler fails
/// loudly, naming the function and the partition.
/// </summary>
public sealed class FakeCluster
{
    private readonly FakePartition[] _partitions;
    private readonly List<FakeCall> _calls = [];

    /// <summary>Creates a cluster of <paramref name="partitionCount"/> fake partitions.</summary>
    /// <param name="name">The cluster name bodies use.</param>
    /// <param name="partitionCount">The number of partitions: a power of two, unless <paramref name="modularMapping"/>.</param>
    /// <param name="modularMapping">PL/Proxy's modular mapping.</param>
    public FakeCluster(string name, int partitionCount, bool modularMapping = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitionCount, 1);
        Name = name;
        ModularMapping = modularMapping;
        _partitions = [.. Enumerable.Range(0, partitionCount).Select(i => new FakePartition(this, i))];
    }

    /// <summary>The cluster name.</summary>
    public string Name { get; }

    /// <summary>Whether the cluster uses modular mapping.</summary>
    public bool ModularMapping { get; }

    /// <summary>The number of partitions.</summary>
    public int PartitionCount => _partitions.Length;

    /// <summary>Every call the partitions received, in order.</summary>
    public IReadOnlyList<FakeCall> Calls
    {
        get
        {
            lock (_calls)
            {
                return [.. _calls];
            }
        }
    }

    /// <summary>Partition <paramref name="index"/>.</summary>
    /// <param name="index">The partition index.</param>
    /// <returns>The partition.</returns>
    public FakePartition Partition(int index) => _partitions[index];

    /// <summary>Answers calls of <paramref name="function"/> on every partition.</summary>
    /// <param name="function">The remote function name.</param>
    /// <param name="handler">Returns the rows (the call tells which partition asks), or throws.</param>
    /// <returns>This cluster.</returns>
    public FakeCluster On(string function, Func<FakeCall, FakeRows> handler)
    {
        foreach (FakePartition partition in _partitions)
        {
            partition.On(function, handler);
        }

        return this;
    }

    /// <summary>Forgets the recorded calls.</summary>
    public void ClearCalls()
    {
        lock (_calls)
        {
            _calls.Clear();
        }
    }

    internal string PartitionName(int index) => $"Host=fake.invalid;Database={Name}_p{index}";

    internal FakeRows Answer(PartitionRequest request)
    {
        var arguments = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < request.ParameterNames.Count; i++)
        {
            arguments[request.ParameterNames[i]] = request.Values[i];
        }

        var call = new FakeCall(Name, request.Partition, request.Function, arguments);
        lock (_calls)
        {
            _calls.Add(call);
        }

        Func<FakeCall, FakeRows> handler = _partitions[request.Partition].Handler(request.Function)
            ?? throw new PlProxyException($"Fake cluster '{Name}' partition {request.Partition} has no handler for function {request.Function}; add one with On(\"{request.Function}\", ...).")
            {
                Cluster = Name,
                PartitionIndex = request.Partition,
                Function = request.Function,
            };
        try
        {
            return handler(call);
        }
        catch (PlProxyException e)
        {
            // What a partition raises reaches the caller as a remote error, whose context the call adds, as Npgsql's does.
            throw new Npgsql.PostgresException(e.Message, "ERROR", "ERROR", e.SqlState ?? Npgsql.PostgresErrorCodes.RaiseException);
        }
    }
}
