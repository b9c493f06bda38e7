namespace PlProxy.Client.PgQ;

/// <summary>A hosted PgQ consumer: where it reads, how it retries, when it gives an event up.</summary>
public sealed class PgQConsumerServiceOptions
{
    /// <summary>The queue's database (Npgsql connection string).</summary>
    public string ConnectionString { get; set; } = "";

    /// <summary>The queue.</summary>
    public string Queue { get; set; } = "";

    /// <summary>The consumer's name (registered at start if it is not).</summary>
    public string Consumer { get; set; } = "";

    /// <summary>Retries of a failing event before it goes to the dead letters. Default: 5.</summary>
    public int MaxRetries { get; set; } = 5;

    /// <summary>How long a failed event waits before its retry. Default: 30 s.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The pause when no batch is ready. Default: 1 s.</summary>
    public TimeSpan IdleDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest pause between attempts while the queue's database is away (exponential, with jitter). Default: 30 s.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Batch and reading settings.</summary>
    public PgQConsumerOptions Batches { get; } = new();
}
