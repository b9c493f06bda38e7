using System.Data.Common;

namespace PlProxy.Client.Execution;

/// <summary>
/// How the rows of one result shape become values: a row function for results read by position (a scalar's column
/// 0), or a binder that looks the columns up by name once per reader (as Dapper does) and returns the row function
/// that reads them by ordinal.
/// </summary>
internal sealed class RowReader<T> : RowReader
{
    private readonly Func<DbDataReader, T>? _row;
    private readonly Func<DbDataReader, Func<DbDataReader, T>>? _bind;

    private RowReader(Func<DbDataReader, T>? row, Func<DbDataReader, Func<DbDataReader, T>>? bind)
    {
        _row = row;
        _bind = bind;
    }

    /// <summary>Rows read by position: the same function for every reader.</summary>
    public static RowReader<T> ByPosition(Func<DbDataReader, T> row) => new(row ?? throw new ArgumentNullException(nameof(row)), null);

    /// <summary>Rows read by column name: <paramref name="bind"/> resolves the names on a reader's first row.</summary>
    public static RowReader<T> ByName(Func<DbDataReader, Func<DbDataReader, T>> bind) => new(null, bind ?? throw new ArgumentNullException(nameof(bind)));

    /// <summary>The row function for <paramref name="reader"/>, called on its first row (a result without rows resolves nothing).</summary>
    public Func<DbDataReader, T> Bind(DbDataReader reader) => _row ?? _bind!(reader);

    /// <inheritdoc/>
    public override async Task<System.Collections.IList> ReadAllAsync(DbDataReader reader)
    {
        var rows = new List<T>();
        if (await reader.ReadAsync().ConfigureAwait(false))
        {
            Func<DbDataReader, T> row = Bind(reader);
            do
            {
                rows.Add(row(reader));
            }
            while (await reader.ReadAsync().ConfigureAwait(false));
        }

        return rows;
    }
}

/// <summary>A row reader whatever its row type: how a round trip shared by several calls reads each call's rows.</summary>
internal abstract class RowReader
{
    /// <summary>Every row of the reader's current result, as a <c>List&lt;T&gt;</c> of the call's row type.</summary>
    public abstract Task<System.Collections.IList> ReadAllAsync(DbDataReader reader);
}
