using System.Data;
using System.Data.Common;
using Microsoft.Extensions.DependencyInjection;
using PlProxy.Client.Configuration;
using PlProxy.Client.DependencyInjection;
using PlProxy.Client.Execution;

namespace PlProxy.Client.Testing;

/// <summary>One call a fake partition received: which partition, which function, with which arguments.</summary>
/// <param name="Cluster">The cluster (null for a CONNECT call).</param>
/// <param name="Partition">The partition index.</param>
/// <param name="Function">The remote function (TARGET's name, or the method's).</param>
/// <param name="Arguments">The arguments by name; a split array holds only this partition's elements.</param>
public sealed record FakeCall(string? Cluster, int Partition, string Function, IReadOnlyDictionary<string, object?> Arguments);

/// <summary>The rows a fake partition answers with.</summary>
public sealed class FakeRows
{
    private readonly List<object?[]> _rows = [];

    private FakeRows(string[] columns) => Columns = columns;

    /// <summary>No rows (of one column).</summary>
    public static FakeRows None => new(["r"]);

    /// <summary>The column names.</summary>
    public IReadOnlyList<string> Columns { get; }

    /// <summary>One row of one column: what a scalar function returns.</summary>
    /// <param name="value">The value (null for SQL NULL).</param>
    /// <returns>The rows.</returns>
    public static FakeRows Scalar(object? value) => new FakeRows(["r"]).Row(value);

    /// <summary>One row per value, of one column: what a set-returning scalar function returns.</summary>
    /// <param name="values">The values.</param>
    /// <returns>The rows.</returns>
    public static FakeRows Scalars(params object?[] values)
    {
        var rows = new FakeRows(["r"]);
        foreach (object? value in values)
        {
            rows.Row(value);
        }

        return rows;
    }

    /// <summary>Rows with these columns (names as the remote function returns them, e.g. <c>user_count</c>); add them with <see cref="Row"/>.</summary>
    /// <param name="columns">The column names.</param>
    /// <returns>The (empty) rows.</returns>
    public static FakeRows WithColumns(params string[] columns) => new(columns);

    /// <summary>Adds a row; values in column order, with the .NET types the method reads (decimal for numeric ...).</summary>
    /// <param name="values">The values.</param>
    /// <returns>These rows.</returns>
    /// <exception cref="ArgumentException">The row has a different number of values than there are columns.</exception>
    public FakeRows Row(params object?[] values)
    {
        if (values.Length != Columns.Count)
        {
            throw new ArgumentException($"The row has {values.Length} values for {Columns.Count} columns ({string.Join(", ", Columns)}).", nameof(values));
        }

        _rows.Add(values);
        return this;
    }

    internal DbDataReader ToReader()
    {
        var table = new DataTable();
        for (int c = 0; c < Columns.Count; c++)
        {
            Type type = _rows.Select(r => r[c]?.GetType()).FirstOrDefault(t => t is not null) ?? typeof(object);
            table.Columns.Add(Columns[c], type);
        }

        foreach (object?[] row in _rows)
        {
            table.Rows.Add([.. row.Select(v => v ?? DBNull.Value)]);
        }

        return table.CreateDataReader();
    }
}

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
    /// <param name="handler">Returns the rows, or throws (a <see cref="PlProxyException"/> with a SQLSTATE to act as a remote error).</param>
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
        return handler(call);
    }
}

/// <summary>Runs proxies over fake clusters: creates the data source and plugs it into DI.</summary>
public static class FakePlProxy
{
    /// <summary>A data source whose clusters are <paramref name="clusters"/>: real routing, fake partitions.</summary>
    /// <param name="clusters">The fake clusters.</param>
    /// <returns>The data source.</returns>
    public static PlProxyDataSource CreateDataSource(params FakeCluster[] clusters)
    {
        ArgumentNullException.ThrowIfNull(clusters);
        var options = new PlProxyOptions();
        foreach (FakeCluster cluster in clusters)
        {
            options.AddCluster(cluster.Name, c =>
            {
                c.ModularMapping = cluster.ModularMapping;
                for (int i = 0; i < cluster.PartitionCount; i++)
                {
                    c.Partitions.Add(cluster.PartitionName(i));
                }
            });
        }

        return PlProxyDataSource.Create(options, new Executor([.. clusters]));
    }

    /// <summary>
    /// Registers a data source over <paramref name="clusters"/>, replacing a real one registered before; add proxies
    /// with <see cref="IPlProxyBuilder.AddProxy{TInterface}"/> as usual.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="clusters">The fake clusters.</param>
    /// <returns>A builder for proxies.</returns>
    public static IPlProxyBuilder AddPlProxyFakes(this IServiceCollection services, params FakeCluster[] clusters) =>
        services.AddPlProxy(_ => CreateDataSource(clusters));

    private sealed class Executor(FakeCluster[] clusters) : IPartitionExecutor
    {
        public ValueTask<DbDataReader> ExecuteAsync(PartitionRequest request, CancellationToken cancellationToken)
        {
            cancellationToken.ThrowIfCancellationRequested();
            FakeCluster cluster = Array.Find(clusters, c => c.Name == request.Cluster)
                ?? throw new PlProxyException($"No fake cluster answers calls of {request.Function}: CONNECT targets are not faked.");
            return ValueTask.FromResult(cluster.Answer(request).ToReader());
        }
    }
}
