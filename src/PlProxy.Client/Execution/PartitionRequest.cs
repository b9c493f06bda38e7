namespace PlProxy.Client.Execution;

/// <summary>One partition's part of a call, as routing decided it.</summary>
public sealed class PartitionRequest
{
    internal PartitionRequest(string? cluster, int partition, string function, string sql, IReadOnlyList<string> parameterNames, IReadOnlyList<object?> values)
    {
        Cluster = cluster;
        Partition = partition;
        Function = function;
        Sql = sql;
        ParameterNames = parameterNames;
        Values = values;
    }

    /// <summary>The cluster, or null for a CONNECT call.</summary>
    public string? Cluster { get; }

    /// <summary>The partition index (0 for a CONNECT call).</summary>
    public int Partition { get; }

    /// <summary>The remote function: TARGET's name, or the proxy function's own.</summary>
    public string Function { get; }

    /// <summary>The SQL that would be sent, with <c>$1 … $n</c> placeholders.</summary>
    public string Sql { get; }

    /// <summary>The names of the function's arguments, in declaration order.</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>The argument values in declaration order; a split array holds only this partition's elements.</summary>
    public IReadOnlyList<object?> Values { get; }

    /// <summary>The value of the argument named <paramref name="name"/> (case-insensitively).</summary>
    /// <param name="name">The argument name.</param>
    /// <returns>Its value.</returns>
    /// <exception cref="KeyNotFoundException">No argument has that name.</exception>
    public object? this[string name]
    {
        get
        {
            for (int i = 0; i < ParameterNames.Count; i++)
            {
                if (string.Equals(ParameterNames[i], name, StringComparison.OrdinalIgnoreCase))
                {
                    return Values[i];
                }
            }

            throw new KeyNotFoundException($"{Function} has no argument named {name}; it has {string.Join(", ", ParameterNames)}.");
        }
    }
}
