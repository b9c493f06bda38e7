namespace PlProxy.Client;

/// <summary>
/// Where an error of a call arose: the one factory for the library's <see cref="PlProxyException"/>s about a call. It
/// owns the wording (<c>get_balance(1): [userdb_p2] message</c>, as PL/Proxy prefixes its errors) and fills the
/// context properties, so no raise site sets them by hand.
/// </summary>
/// <param name="DisplayName">The function as the message names it (PL/Proxy's <c>name(argument count)</c>, or the name alone).</param>
/// <param name="Function">The proxy function's name (<see cref="PlProxyException.Function"/>).</param>
/// <param name="Cluster">The cluster, once known.</param>
/// <param name="Partition">The partition number, when the error concerns one.</param>
/// <param name="Database">The database, when the error came from one.</param>
internal readonly record struct CallErrorContext(string DisplayName, string? Function, string? Cluster = null, int? Partition = null, string? Database = null)
{
    /// <summary>The same call, at one partition's database.</summary>
    public CallErrorContext At(int? partition, string database) => this with { Partition = partition, Database = database };

    /// <summary>The error, worded and enriched from this context.</summary>
    public PlProxyException Error(string message, string sqlState = PlProxyException.InternalErrorState, Exception? innerException = null) =>
        new(Database is null ? $"{DisplayName}: {message}" : $"{DisplayName}: [{Database}] {message}", sqlState, innerException)
        {
            Cluster = Cluster,
            Function = Function,
            PartitionIndex = Partition,
            Database = Database,
        };
}
