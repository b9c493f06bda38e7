namespace PlProxy.Client.Execution;

/// <summary>Where a call's rows go: one row (PL/Proxy's rule for functions that do not return a set) or all of them.</summary>
internal interface IRowSink<T, TResult>
{
    int Count { get; }

    bool ExactlyOneRow { get; }

    TResult Result { get; }

    void Add(T row);

    void AddRange(List<T> rows);
}

// Keeps the first row and counts the rest: no list for the common single-row call.
internal struct SingleRow<T> : IRowSink<T, T>
{
    private T _row;

    public int Count { get; private set; }

    public readonly bool ExactlyOneRow => true;

    public readonly T Result => _row;

    public void Add(T row)
    {
        if (Count++ == 0)
        {
            _row = row;
        }
    }

    public void AddRange(List<T> rows)
    {
        foreach (T row in rows)
        {
            Add(row);
        }
    }
}

internal struct RowList<T> : IRowSink<T, IReadOnlyList<T>>
{
    private List<T>? _rows;

    public readonly int Count => _rows?.Count ?? 0;

    public readonly bool ExactlyOneRow => false;

    public readonly IReadOnlyList<T> Result => _rows ?? [];

    public void Add(T row) => (_rows ??= []).Add(row);

    public void AddRange(List<T> rows)
    {
        if (_rows is null)
        {
            _rows = rows; // the fan-out's own concatenation
        }
        else
        {
            _rows.AddRange(rows);
        }
    }
}
