namespace PlProxy.Client.PgQ;

/// <summary>The names of the PgQ package's activity source, meter, instruments and tags, as exporters and dashboards see them.</summary>
public static class PgQTelemetryNames
{
    /// <summary>The activity source and the meter.</summary>
    public const string SourceName = "PlProxy.Client.PgQ";

    /// <summary>The span of one batch.</summary>
    public const string BatchActivity = "pgq batch";

    /// <summary>Histogram of events per processed batch.</summary>
    public const string BatchSize = "plproxy.pgq.batch.size";

    /// <summary>Histogram of how old a batch's end tick was when the consumer took it (seconds).</summary>
    public const string BatchLag = "plproxy.pgq.batch.lag";

    /// <summary>Counter of events a hosted consumer's handler completed.</summary>
    public const string Events = "plproxy.pgq.events";

    /// <summary>Counter of events deferred to a later batch.</summary>
    public const string Retries = "plproxy.pgq.retries";

    /// <summary>Counter of events written to the dead letters.</summary>
    public const string DeadLetters = "plproxy.pgq.dead_letters";

    /// <summary>Histogram of a hosted consumer's handler time per event (seconds).</summary>
    public const string HandlerDuration = "plproxy.pgq.handler.duration";

    /// <summary>Tag: the queue (on every instrument and the batch span).</summary>
    public const string Queue = "pgq.queue";

    /// <summary>Tag: the consumer (batch span).</summary>
    public const string Consumer = "pgq.consumer";

    /// <summary>Tag: the batch's id (batch span).</summary>
    public const string BatchId = "pgq.batch_id";

    /// <summary>Tag: the batch's end tick (batch span).</summary>
    public const string TickId = "pgq.tick_id";

    /// <summary>Tag: the events the batch had (batch span).</summary>
    public const string BatchEvents = "pgq.events";

    /// <summary>Tag: the events the handler deferred (batch span).</summary>
    public const string Retried = "pgq.retried";
}
