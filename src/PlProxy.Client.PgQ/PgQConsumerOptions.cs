namespace PlProxy.Client.PgQ;

/// <summary>How a <see cref="PgQConsumer"/> takes batches (<c>pgq.next_batch_custom</c>) and reads them.</summary>
public sealed class PgQConsumerOptions
{
    /// <summary>Events read from the batch's cursor at a time: the most a consumer holds in memory. Default: 1000.</summary>
    public int FetchSize { get; set; } = 1000;

    /// <summary>A batch only once its newest tick is this old (<c>i_min_lag</c>); null: no minimum.</summary>
    public TimeSpan? MinLag { get; set; }

    /// <summary>A batch only once it has this many events (<c>i_min_count</c>); null: no minimum.</summary>
    public int? MinCount { get; set; }

    /// <summary>A batch only once it spans this long (<c>i_min_interval</c>); null: no minimum.</summary>
    public TimeSpan? MinInterval { get; set; }
}
