namespace PlProxy.Client.Partconf;

/// <summary>A table a <c>partconf.valid_hash</c> trigger declares partitioned by a key column.</summary>
/// <param name="Table">The table, as <c>regclass</c> prints it (quoted and qualified where needed).</param>
/// <param name="Column">The key column.</param>
/// <param name="HashFunction">The trigger's hash function of the column; null for the cluster's hashtext.</param>
internal sealed record PartitionedTable(string Table, string Column, string? HashFunction)
{
    /// <summary>
    /// The SQL expression of a row's hash (as int8) for a row alias: the named hash function, else
    /// <paramref name="textHash"/> of the column as text (by default the database's own <c>partconf.hash_text</c>).
    /// </summary>
    public string Hash(string alias, string textHash = "partconf.hash_text")
    {
        string key = $"{alias}.\"{Column.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
        return HashFunction is null ? $"{textHash}({key}::text)::int8" : $"{HashFunction}({key})::int8";
    }
}
