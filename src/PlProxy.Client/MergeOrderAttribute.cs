namespace PlProxy.Client;

/// <summary>
/// Marks a RUN ON ALL method returning rows (a stream or a list) whose partitions each return their rows in this
/// order: the library merges the partitions' rows as they come (one row per partition held at a time) into the order
/// PostgreSQL would give all of them together — <c>ORDER BY</c>'s rules for ASC/DESC and NULLS FIRST/LAST (NULLs last
/// for ASC and first for DESC unless said), NaN above every number, text by its UTF-8 bytes. Rows equal on every key
/// come in partition order, then in each partition's own order. Text is merged only under a byte-order collation:
/// declare <c>COLLATE "C"</c> here and in the function's ORDER BY, or give the partition databases the C collation
/// (checked at the first call); any other is refused rather than merged in a different order.
/// </summary>
/// <param name="orderBy">The result columns and their order, as in ORDER BY: <c>created_at DESC, id</c>.</param>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class MergeOrderAttribute(string orderBy) : Attribute
{
    /// <summary>The order, as given.</summary>
    public string OrderBy { get; } = orderBy;
}
