using System.ComponentModel;
using System.Data.Common;
using PlProxy.Client.Execution;

namespace PlProxy.Client.Proxies;

/// <summary>How generated code reads one method's rows; built once per method and kept in a static field.</summary>
/// <typeparam name="T">The row type.</typeparam>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class ProxyRowReader<T>
{
    private ProxyRowReader(RowReader<T> reader) => Reader = reader;

    internal RowReader<T> Reader { get; }

    /// <summary>Rows read by position (a scalar result's column 0).</summary>
    /// <param name="row">Reads the current row.</param>
    /// <returns>The reader.</returns>
    public static ProxyRowReader<T> ByPosition(Func<DbDataReader, T> row) => new(RowReader<T>.ByPosition(row));

    /// <summary>Rows read by column name: <paramref name="bind"/> looks up the ordinals once per database's reader and returns the row function.</summary>
    /// <param name="bind">Resolves the columns of a reader.</param>
    /// <returns>The reader.</returns>
    public static ProxyRowReader<T> ByName(Func<DbDataReader, Func<DbDataReader, T>> bind) => new(RowReader<T>.ByName(bind));
}
