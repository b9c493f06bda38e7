using System.Data.Common;

namespace PlProxy.Client.Testing;

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

    /// <summary>
    /// Adds a row; values in column order, with the .NET types the method reads (decimal for numeric ...); an integer or
    /// decimal value also reads as any other numeric type that holds it, as Npgsql reads a number column.
    /// </summary>
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

    internal DbDataReader ToReader() => new FakeDataReader(Columns, [.. _rows]);
}
