namespace PlProxy.Client;

/// <summary>
/// The result of a fan-out that tolerates failing partitions (a method returning <c>Task&lt;PlProxyPartialResult&lt;T&gt;&gt;</c>):
/// the rows of every partition that answered, and one error per partition that failed. For read-only gathering (stats);
/// nothing is hidden: a caller sees exactly which partitions are missing.
/// </summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed class PlProxyPartialResult<T>
{
    internal PlProxyPartialResult(IReadOnlyList<T> rows, IReadOnlyList<PlProxyException> errors, int partitionsCalled)
    {
        Rows = rows;
        Errors = errors;
        PartitionsCalled = partitionsCalled;
    }

    /// <summary>The rows of the partitions that answered, partition by partition.</summary>
    public IReadOnlyList<T> Rows { get; }

    /// <summary>One error per failed partition (with its <see cref="PlProxyException.PartitionIndex"/> and database).</summary>
    public IReadOnlyList<PlProxyException> Errors { get; }

    /// <summary>How many databases the call ran on.</summary>
    public int PartitionsCalled { get; }

    /// <summary>True when every partition answered.</summary>
    public bool IsComplete => Errors.Count == 0;
}
