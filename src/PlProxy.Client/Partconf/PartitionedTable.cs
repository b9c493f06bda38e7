using PlProxy.Client.Configuration;

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
        string key = $"{alias}.{Language.SqlNames.QuoteIdentifier(Column)}";
        return HashFunction is null ? $"{textHash}({key}::text)::int8" : $"{HashFunction}({key})::int8";
    }

    /// <summary>
    /// Whether the key's hash depends on its database's encoding: text is hashed (the cluster's hashtext of the column, or
    /// a named function other than the integer and uuid hashes, which hash the same bytes in every encoding).
    /// </summary>
    public bool HashesText =>
        HashFunction is null || HashFunction.Replace("pg_catalog.", "", StringComparison.Ordinal) is not ("hashint2" or "hashint4" or "hashint8" or "uuid_hash");

    /// <summary>
    /// Whether a row (by alias) belongs to one of <paramref name="settings"/>' partitions, as SQL: its key hashed with the
    /// settings' flavour and mapped with their count and mapping, as <c>partconf.check_hash</c> maps it, but independent
    /// of the database's own partconf (so a database can be checked against a map it may not agree with).
    /// </summary>
    public string BelongsTo(string alias, PartconfSettings settings)
    {
        string hash = Hash(alias, settings.HashFlavor == PlProxyHashFlavor.Legacy83 ? "partconf.legacy_hashtext" : "hashtext");
        string partition = settings.ModularMapping ? $"abs(({hash}) % {settings.PartitionCount})" : $"(({hash}) & {settings.PartitionCount - 1})";
        return $"coalesce({partition} in ({string.Join(", ", settings.Partitions)}), false)";
    }
}
