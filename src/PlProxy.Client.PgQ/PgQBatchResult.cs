namespace PlProxy.Client.PgQ;

/// <summary>A finished batch.</summary>
/// <param name="BatchId">Its id.</param>
/// <param name="TickId">The tick it ended at.</param>
/// <param name="Events">How many events its handler was given.</param>
/// <param name="Retried">How many of them were deferred to a later batch.</param>
public sealed record PgQBatchResult(long BatchId, long TickId, long Events, int Retried);
