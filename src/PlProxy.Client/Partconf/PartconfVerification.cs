namespace PlProxy.Client.Partconf;

/// <summary>
/// A cluster's partition databases checked against the map its proxy database publishes, as
/// <see cref="PartconfDatabase.VerifyClusterAsync"/> found them.
/// </summary>
/// <param name="Tables">Each partitioned table on each database, its rows counted against the map.</param>
/// <param name="Problems">
/// What does not fit the map, one sentence each: a database whose partconf serves other partitions (or a different
/// count) than the map assigns it, a database without partconf, a database lacking a partitioned table the others have,
/// and a cluster on which no partitioned table was found at all (nothing could be checked).
/// </param>
public sealed record PartconfVerification(IReadOnlyList<PartconfTableCount> Tables, IReadOnlyList<string> Problems)
{
    /// <summary>Rows on a database the map does not assign their key to.</summary>
    public long Misplaced => Tables.Sum(t => t.Misplaced);

    /// <summary>True when every database fits the map and every row is where the map puts its key.</summary>
    public bool Passed => Problems.Count == 0 && Misplaced == 0;
}
