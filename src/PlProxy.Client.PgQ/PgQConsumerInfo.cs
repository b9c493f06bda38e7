namespace PlProxy.Client.PgQ;

/// <summary>A consumer's position in its queue, as <c>pgq.get_consumer_info</c> reports it.</summary>
/// <param name="Lag">How far behind the newest tick the consumer's last finished tick is.</param>
/// <param name="LastSeen">How long since the consumer last finished a batch.</param>
/// <param name="LastTick">The tick its last finished batch ended at.</param>
/// <param name="CurrentBatch">The batch it has open, if any.</param>
/// <param name="PendingEvents">Events in the queue past its position (an estimate, from the ticks' sequence).</param>
public sealed record PgQConsumerInfo(TimeSpan? Lag, TimeSpan? LastSeen, long LastTick, long? CurrentBatch, long? PendingEvents);
