namespace PlProxy.Client.PgQ;

/// <summary>
/// A target database records a tick for the consumer that is behind the start of the batch PgQ gives it, or beyond any
/// tick PgQ has handed the consumer (the consumer was re-registered, the target restored from a backup, the queue
/// recreated): applying the batch could apply events twice or skip some, so the consumer stops.
/// </summary>
public sealed class PgQLostPositionException : Exception
{
    /// <summary>Creates the exception.</summary>
    public PgQLostPositionException(string queue, string consumer, long targetTick, long batchStartTick, long batchEndTick)
        : base($"lost position: consumer {consumer} of queue {queue} has applied up to tick {targetTick} on its target, but PgQ's next batch goes from tick {batchStartTick} to {batchEndTick}; nothing was applied. Reconcile the target, then set plproxy_pgq.completed_tick (or re-register the consumer) to where it should continue.")
    {
        Queue = queue;
        Consumer = consumer;
        TargetTick = targetTick;
        BatchStartTick = batchStartTick;
        BatchEndTick = batchEndTick;
    }

    /// <summary>The queue.</summary>
    public string Queue { get; }

    /// <summary>The consumer.</summary>
    public string Consumer { get; }

    /// <summary>The last tick the target records.</summary>
    public long TargetTick { get; }

    /// <summary>The tick the batch starts after.</summary>
    public long BatchStartTick { get; }

    /// <summary>The tick the batch ends at.</summary>
    public long BatchEndTick { get; }
}
