namespace PlProxy.Client.PgQ;

/// <summary>Handles the events of a hosted PgQ consumer (<c>AddPgQConsumer</c>), one at a time, in queue order.</summary>
public interface IPgQEventHandler
{
    /// <summary>
    /// Handles one event. Throwing defers it to a later batch (<c>pgq.event_retry</c>) until it has been retried
    /// <see cref="PgQConsumerServiceOptions.MaxRetries"/> times; then it goes to <c>plproxy_pgq.dead_letter</c> with its
    /// error. <paramref name="batch"/>'s connection is the batch's transaction on the queue's database.
    /// </summary>
    /// <param name="batch">The event's batch (its connection, and <see cref="PgQBatch.Retry"/>).</param>
    /// <param name="event">The event.</param>
    /// <param name="cancellationToken">Cancelled at shutdown: the batch is then rolled back and delivered again.</param>
    /// <remarks>The arguments come in the order every PgQ handler takes them: the batch, then the event.</remarks>
    Task HandleAsync(PgQBatch batch, PgQBatchEvent @event, CancellationToken cancellationToken);
}
