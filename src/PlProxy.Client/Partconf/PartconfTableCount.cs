namespace PlProxy.Client.Partconf;

/// <summary>One partitioned table on one partition database, as <see cref="PartconfDatabase.VerifyClusterAsync"/> counted it.</summary>
/// <param name="Database">The database, as its connection string names it.</param>
/// <param name="Partitions">The partition numbers the published map assigns the database.</param>
/// <param name="Table">The table (schema-qualified when it is not on the search path), partitioned by its <c>partconf.valid_hash</c> trigger.</param>
/// <param name="KeyColumn">The column the trigger hashes.</param>
/// <param name="Rows">The table's rows.</param>
/// <param name="Misplaced">Rows whose key the map assigns to a partition this database does not serve (or is NULL).</param>
public sealed record PartconfTableCount(string Database, IReadOnlyList<int> Partitions, string Table, string KeyColumn, long Rows, long Misplaced);
