namespace PlProxy.Client;

/// <summary>
/// The SQLSTATEs PlProxy.Client's partition side (partconf) raises, as a caller meets them on
/// <see cref="PlProxyException.SqlState"/>.
/// </summary>
public static class PlProxySqlStates
{
    /// <summary>
    /// A call partconf refused: its hash belongs to another database, or its keys are being moved. The refusal comes
    /// before any write, so the call can always be sent again with a fresh partition map (the client does, for
    /// <c>FencedCallTimeout</c>; past it the call fails with this state as a stale map).
    /// </summary>
    public const string WrongPartition = "PX001";

    /// <summary>A call or row partconf refused because its key (or the key's hash) is NULL: it belongs to no partition, and nobody resends it.</summary>
    public const string NullKey = "PX002";

    /// <summary>partconf is used on a database where it is not configured.</summary>
    public const string PartconfNotConfigured = "PX000";
}
