namespace PlProxy.Client.Execution;

/// <summary>The row readers the library itself uses, built once.</summary>
internal static class RowReaders
{
    /// <summary>For calls whose result is ignored (a <c>Task</c> method, <c>ExecuteAsync</c>): the row counts, its value does not.</summary>
    public static readonly RowReader<bool> Ignored = RowReader<bool>.ByPosition(static _ => true);

    /// <summary>Column 0 as <typeparamref name="T"/>, NULL as default.</summary>
    public static class Scalar<T>
    {
        public static readonly RowReader<T?> Instance = RowReader<T?>.ByPosition(static r => r.IsDBNull(0) ? default : r.GetFieldValue<T>(0));
    }
}
