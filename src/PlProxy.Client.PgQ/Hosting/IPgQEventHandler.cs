namespace PlProxy.Client.PgQ;

/// <summary>Handles the events of a hosted PgQ consumer (<c>AddPgQConsumer</c>), one at a time, in queue order.</summary>
public interface IPgQEventHandler
{
    /// <summary>
    /// Handles one event. Throwing defers it to a later batch (<c>pgq.event_retry</c>) until it has been retried
    /// <see cref="PgQConsumerServiceOptions.MaxRetries"/> times; then it goes to <c>plproxy_pgq.dead_letter</c> with its
    /// error. <paramref name="batch"/>'s connection is the batch's transaction on the queue's database.
    /// </summary>
    Task HandleAsync(PgQBatchEvent @event, PgQBatch batch, CancellationToken cancellationToken);
}
